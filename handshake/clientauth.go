package handshake

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
)

// Client certificates (mTLS) on https listeners. With client_auth
// "required" a client must show a certificate that chains to the
// listener's client_ca; with "optional" it may show none, but one it
// shows must chain there too. Either way a certificate of another CA (or
// expired, or not for client authentication) fails the handshake. The
// verified certificate's subject and SHA-256 fingerprint are kept on the
// connection for the exchange to pass to backends (ClientCert).

// clientAuth sets cfg up for the listener's client_auth and client_ca.
func clientAuth(cfg *tls.Config, mode, ca string) error {
	switch mode {
	case "", "none":
		if ca != "" {
			return errors.New("client_ca: set client_auth to required or optional to use it")
		}
		return nil
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		return fmt.Errorf("client_auth: %q is not required, optional or none", mode)
	}
	if ca == "" {
		return errors.New("client_ca: required with client_auth (the CA bundle client certificates must chain to)")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(ca)) {
		return errors.New("client_ca: no PEM certificate found")
	}
	cfg.ClientCAs = pool // crypto/tls also checks a resumed session's chain against it
	return nil
}

// identify keeps the subject and fingerprint of the client's verified
// certificate, if it showed one (a resumed session carries it over).
func (c *conn) identify(tc *tls.Conn) {
	st := tc.ConnectionState()
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return
	}
	leaf := st.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	c.fingerprint = hex.AppendEncode(nil, sum[:])
	c.subject = fieldSafe(leaf.Subject.String())
}

// ClientCert returns the verified client certificate's subject (RFC 4514
// form, as x509 prints it: "CN=alice,O=Example") and SHA-256 fingerprint
// (lower-case hex of the DER), or nils when the client showed none. The
// slices are the connection's: not to be modified.
func (c *conn) ClientCert() (subject, fingerprint []byte) { return c.subject, c.fingerprint }

// fieldSafe makes s fit in an HTTP field value: control characters (which
// RFC 4514 leaves as they are) become \XX escapes.
func fieldSafe(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			out = append(out, '\\', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
			continue
		}
		out = append(out, c)
	}
	return out
}
