package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sluiceproxy/sluice/order"
)

// listenerTLSFlags adds --cipher-suites, --curves,
// --session-ticket-lifetime, --client-auth, --client-ca and
// --ocsp-stapling and --acme to an https listener's add or update command
// and returns a function giving the update they describe (only the flags
// given); add takes its values whole.
func listenerTLSFlags(cmd *cobra.Command) func() (order.UpdateListenerTLS, error) {
	f := cmd.Flags()
	f.StringSlice("cipher-suites", nil, "TLS 1.2 cipher suites, IANA names (default the six ECDHE suites with AES-GCM or ChaCha20-Poly1305)")
	f.StringSlice("curves", nil, "key-exchange groups: X25519, X25519MLKEM768, P-256, P-384, P-521 (default the first four)")
	f.String("session-ticket-lifetime", "", "how long a session ticket resumes a session, 1m to 12h (default 12h)")
	f.String("client-auth", "", "ask clients for a certificate: required or optional (with --client-ca), or none")
	f.String("client-ca", "", "CA bundle (PEM file) client certificates must chain to")
	f.Bool("ocsp-stapling", true, "staple OCSP responses for certificates that name a responder (--ocsp-stapling=false turns it off)")
	f.Bool("acme", false, "obtain and renew certificates for the listener's host names from the ACME CA of the configuration's [acme] section (--acme=false stops)")
	return func() (order.UpdateListenerTLS, error) { return listenerTLSUpdate(f) }
}

func listenerTLSUpdate(f *pflag.FlagSet) (order.UpdateListenerTLS, error) {
	var o order.UpdateListenerTLS
	if f.Changed("cipher-suites") {
		v, _ := f.GetStringSlice("cipher-suites")
		o.CipherSuites = order.Some(v)
	}
	if f.Changed("curves") {
		v, _ := f.GetStringSlice("curves")
		o.Curves = order.Some(v)
	}
	d, err := optDuration(f, "session-ticket-lifetime")
	if err != nil {
		return o, err
	}
	o.SessionTicketLifetime = d
	if f.Changed("client-auth") {
		v, _ := f.GetString("client-auth")
		o.ClientAuth = order.Some(v)
	}
	if f.Changed("client-ca") {
		name, _ := f.GetString("client-ca")
		b, err := os.ReadFile(name)
		if err != nil {
			return o, fmt.Errorf("--client-ca: %w", err)
		}
		o.ClientCA = order.Some(string(b))
	}
	if f.Changed("ocsp-stapling") {
		v, _ := f.GetBool("ocsp-stapling")
		o.OCSPStapling = order.Some(&v)
	}
	if f.Changed("acme") {
		v, _ := f.GetBool("acme")
		o.ACME = order.Some(v)
	}
	if nc := f.Lookup("no-client-auth"); nc != nil && nc.Changed {
		o.ClientAuth, o.ClientCA = order.Some(""), order.Some("")
	}
	return o, nil
}

// applyListenerTLS sets the TLS fields of l that u gives.
func applyListenerTLS(l *order.Listener, u order.UpdateListenerTLS) {
	l.CipherSuites = u.CipherSuites.V
	l.Curves = u.Curves.V
	l.SessionTicketLifetime = u.SessionTicketLifetime.V
	l.ClientAuth = u.ClientAuth.V
	l.ClientCA = u.ClientCA.V
	l.OCSPStapling = u.OCSPStapling.V
	l.ACME = u.ACME.V
}

// backendTLSFlags adds --tls and its options to a cluster's add or update
// command and returns a function giving the TLS settings they describe:
// nil when none was given (on update: leave TLS as it is). Any option
// implies --tls; the settings are given whole, as the order replaces them.
func backendTLSFlags(cmd *cobra.Command) func() (*order.BackendTLS, error) {
	f := cmd.Flags()
	f.Bool("tls", false, "speak TLS to the backends, verifying their certificates (against the system's roots unless --tls-ca)")
	f.String("tls-ca", "", "TLS to backends: CA bundle (PEM file) their certificates must chain to")
	f.String("tls-server-name", "", "TLS to backends: SNI and verified name (default each backend's host)")
	f.Bool("tls-insecure-skip-verify", false, "TLS to backends: accept any certificate (UNSAFE: anyone on the path can read and change the traffic; tests only)")
	f.String("tls-client-certificate", "", "TLS to backends: client certificate (PEM file, chain after it) for backends that ask for one")
	f.String("tls-client-key", "", "TLS to backends: the client certificate's key (PEM file)")
	return func() (*order.BackendTLS, error) {
		if !anyChanged(cmd, "tls", "tls-ca", "tls-server-name", "tls-insecure-skip-verify", "tls-client-certificate", "tls-client-key") {
			return nil, nil
		}
		if on, _ := f.GetBool("tls"); f.Changed("tls") && !on {
			return nil, fmt.Errorf("--tls=false: use --no-tls on cluster update to turn TLS off")
		}
		var t order.BackendTLS
		t.ServerName, _ = f.GetString("tls-server-name")
		t.InsecureSkipVerify, _ = f.GetBool("tls-insecure-skip-verify")
		for _, x := range []struct {
			flag string
			dst  *string
		}{{"tls-ca", &t.CA}, {"tls-client-certificate", &t.ClientCertificate}, {"tls-client-key", &t.ClientKey}} {
			name, _ := f.GetString(x.flag)
			if name == "" {
				continue
			}
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", x.flag, err)
			}
			*x.dst = string(b)
		}
		return &t, nil
	}
}

// tlsSummary describes a cluster's TLS to its backends in a few words:
// "-", "verified (system roots)", "verified (ca) sni=api.internal +client
// certificate", "UNVERIFIED".
func tlsSummary(t *order.BackendTLS) string {
	if t == nil {
		return "-"
	}
	s := "verified (system roots)"
	switch {
	case t.InsecureSkipVerify:
		s = "UNVERIFIED"
	case t.CA != "":
		s = "verified (ca)"
	}
	if t.ServerName != "" {
		s += " sni=" + t.ServerName
	}
	if t.ClientCertificate != "" {
		s += " +client certificate"
	}
	return s
}
