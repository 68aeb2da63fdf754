package order

import "github.com/sluiceproxy/sluice/tlsparam"

// ListenerTLS are the TLS parameters of an https listener beyond its
// versions (Listener.TLSVersions). It is embedded in Listener: its fields
// are the listener's own in JSON. Empty fields mean the defaults of
// package tlsparam.
type ListenerTLS struct {
	// CipherSuites are the TLS 1.2 suites offered, by IANA name
	// ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"); only ECDHE suites with an
	// AEAD are allowed. Default: all six of them. TLS 1.3 suites are not
	// configurable. crypto/tls picks among them in its own order.
	CipherSuites []string `json:"cipher_suites,omitempty"`
	// Curves are the key-exchange groups offered ("X25519",
	// "X25519MLKEM768", "P-256", "P-384", "P-521"). Default: X25519,
	// X25519MLKEM768, P-256, P-384.
	Curves []string `json:"curves,omitempty"`
	// SessionTicketLifetime is how long after its full handshake a session
	// may be resumed with a ticket: 1m to 12h, default 12h.
	SessionTicketLifetime Duration `json:"session_ticket_lifetime,omitempty"`
	// ClientAuth asks clients for a certificate (mTLS): "required" (a
	// client without one fails the handshake) or "optional"; empty or
	// "none": not asked. A certificate that does not chain to ClientCA
	// fails the handshake in both modes. The verified certificate's
	// subject and fingerprint go to the backend (X-Client-Cert-Subject,
	// X-Client-Cert-Fingerprint).
	ClientAuth string `json:"client_auth,omitempty"`
	// ClientCA is the PEM bundle of the CA certificates client
	// certificates must chain to; required with ClientAuth. In the
	// configuration file it is a file name.
	ClientCA string `json:"client_ca,omitempty"`
	// OCSPStapling staples an OCSP response to the handshakes of the
	// listener's certificates whose leaf names an OCSP responder (AIA):
	// fetched over HTTP, refreshed at half of its validity, only a good
	// status. Absent (nil) means on; false turns it off.
	OCSPStapling *bool `json:"ocsp_stapling,omitempty"`
	// ACME obtains and renews a certificate from the ACME CA of the
	// proxy's configuration for each exact host name of the listener's
	// https frontends (wildcards cannot be validated by HTTP-01 nor
	// TLS-ALPN-01 and are reported), and answers TLS-ALPN-01 validations
	// in its handshakes. The certificates are published with
	// add_certificate and replace_certificate like any other.
	ACME bool `json:"acme,omitempty"`
}

// Stapling reports whether OCSP stapling is on (the default).
func (t ListenerTLS) Stapling() bool { return t.OCSPStapling == nil || *t.OCSPStapling }

// UpdateListenerTLS are the ListenerTLS fields of update_listener.
type UpdateListenerTLS struct {
	CipherSuites          Opt[[]string] `json:"cipher_suites,omitzero"`
	Curves                Opt[[]string] `json:"curves,omitzero"`
	SessionTicketLifetime Opt[Duration] `json:"session_ticket_lifetime,omitzero"`
	ClientAuth            Opt[string]   `json:"client_auth,omitzero"`
	ClientCA              Opt[string]   `json:"client_ca,omitzero"`
	// OCSPStapling: true or false; null goes back to the default (on).
	OCSPStapling Opt[*bool] `json:"ocsp_stapling,omitzero"`
	ACME         Opt[bool]  `json:"acme,omitzero"`
}

// patch returns t with the settings o gives.
func (o UpdateListenerTLS) patch(t ListenerTLS) ListenerTLS {
	t.CipherSuites = o.CipherSuites.Or(t.CipherSuites)
	t.Curves = o.Curves.Or(t.Curves)
	t.SessionTicketLifetime = o.SessionTicketLifetime.Or(t.SessionTicketLifetime)
	t.ClientAuth = o.ClientAuth.Or(t.ClientAuth)
	t.ClientCA = o.ClientCA.Or(t.ClientCA)
	t.OCSPStapling = o.OCSPStapling.Or(t.OCSPStapling)
	t.ACME = o.ACME.Or(t.ACME)
	return t
}

// anySet reports whether o gives a setting.
func (o UpdateListenerTLS) anySet() bool {
	return anySet(o.CipherSuites.Set, o.Curves.Set, o.SessionTicketLifetime.Set, o.ClientAuth.Set, o.ClientCA.Set, o.OCSPStapling.Set, o.ACME.Set)
}

// validate checks the names, the lifetime and the client CA, and that
// only an https listener has them; with update set, not that client_auth
// and client_ca go together (an update may give one of them).
func (t ListenerTLS) validate(p Protocol, update bool) error {
	if p != HTTPS {
		switch {
		case len(t.CipherSuites) > 0:
			return fieldErr("listener.cipher_suites", "TLS settings need an https listener")
		case len(t.Curves) > 0:
			return fieldErr("listener.curves", "TLS settings need an https listener")
		case t.SessionTicketLifetime != 0:
			return fieldErr("listener.session_ticket_lifetime", "TLS settings need an https listener")
		case t.ClientAuth != "" || t.ClientCA != "":
			return fieldErr("listener.client_auth", "client certificates need an https listener")
		case t.OCSPStapling != nil:
			return fieldErr("listener.ocsp_stapling", "OCSP stapling needs an https listener")
		case t.ACME:
			return fieldErr("listener.acme", "ACME certificates need an https listener (its http listeners answer HTTP-01 by themselves)")
		}
	}
	if _, err := tlsparam.Suites(t.CipherSuites); err != nil {
		return fieldErr("listener.cipher_suites", "%s", err)
	}
	if _, err := tlsparam.Curves(t.Curves); err != nil {
		return fieldErr("listener.curves", "%s", err)
	}
	if t.SessionTicketLifetime < 0 {
		return fieldErr("listener.session_ticket_lifetime", "%s is negative", t.SessionTicketLifetime)
	}
	if _, err := tlsparam.TicketLifetime(t.SessionTicketLifetime.D()); err != nil {
		return fieldErr("listener.session_ticket_lifetime", "%s", err)
	}
	if t.ClientCA != "" {
		if err := checkCA("listener.client_ca", t.ClientCA); err != nil {
			return err
		}
	}
	switch t.ClientAuth {
	case "", "none":
		if t.ClientCA != "" && !update {
			return fieldErr("listener.client_ca", "set client_auth to required or optional to use it")
		}
	case "required", "optional":
		if t.ClientCA == "" && !update {
			return fieldErr("listener.client_auth", "needs client_ca: the CA bundle client certificates must chain to")
		}
	default:
		return fieldErr("listener.client_auth", "%q is not required, optional or none", t.ClientAuth)
	}
	return nil
}
