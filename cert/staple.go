package cert

import (
	"crypto/tls"
	"crypto/x509"
	"time"
)

// stapled is a certificate with its OCSP response, served until the
// response's NextUpdate.
type stapled struct {
	tls   *tls.Certificate
	until time.Time
}

// Serving returns what a handshake serves now: TLS with its OCSP staple
// while one is published and not past its expiry, else TLS without. It
// takes no lock and does not allocate; it reads the clock only when a
// staple is published.
func (c *Cert) Serving() *tls.Certificate {
	if s := c.staple.Load(); s != nil && time.Now().Before(s.until) {
		return s.tls
	}
	return c.TLS
}

// HasStaple reports whether a staple is published (expired or not).
func (c *Cert) HasStaple() bool { return c.staple.Load() != nil }

// SetStaple publishes an OCSP response (DER) served with the certificate
// until until; the caller has verified it (package staple). Handshakes
// from then on staple it; connections already made keep what they had.
// Safe for concurrent use.
func (c *Cert) SetStaple(der []byte, until time.Time) {
	t := *c.TLS
	t.OCSPStaple = der
	c.staple.Store(&stapled{tls: &t, until: until})
}

// ClearStaple stops stapling.
func (c *Cert) ClearStaple() { c.staple.Store(nil) }

// OCSPServer is the leaf's first OCSP responder URL (its Authority
// Information Access extension), or "".
func (c *Cert) OCSPServer() string {
	if c.TLS.Leaf == nil || len(c.TLS.Leaf.OCSPServer) == 0 {
		return ""
	}
	return c.TLS.Leaf.OCSPServer[0]
}

// Issuer returns the certificate of the chain that signed the leaf, or
// nil when the chain does not hold it.
func (c *Cert) Issuer() *x509.Certificate {
	for _, der := range c.TLS.Certificate[1:] {
		ic, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		if c.TLS.Leaf.CheckSignatureFrom(ic) == nil {
			return ic
		}
	}
	return nil
}
