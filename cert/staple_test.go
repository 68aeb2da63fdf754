package cert_test

import (
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestStapleServing: a published staple is served until its expiry, and
// not after; clearing it serves the bare certificate.
func TestStapleServing(t *testing.T) {
	c := parsed(t)
	if got := c.Serving(); got != c.TLS || got.OCSPStaple != nil {
		t.Fatal("a staple before any was published")
	}
	c.SetStaple([]byte("response"), time.Now().Add(time.Hour))
	got := c.Serving()
	if string(got.OCSPStaple) != "response" || got == c.TLS || c.TLS.OCSPStaple != nil {
		t.Fatalf("served %q (the parsed certificate must stay untouched)", got.OCSPStaple)
	}
	if &got.Certificate[0][0] != &c.TLS.Certificate[0][0] || got.PrivateKey != c.TLS.PrivateKey {
		t.Fatal("the staple's certificate is not the parsed one")
	}
	c.SetStaple([]byte("expired"), time.Now().Add(-time.Second))
	if got := c.Serving(); got.OCSPStaple != nil {
		t.Fatalf("served an expired staple %q", got.OCSPStaple)
	}
	c.SetStaple([]byte("response"), time.Now().Add(time.Hour))
	c.ClearStaple()
	if got := c.Serving(); got.OCSPStaple != nil {
		t.Fatalf("served a cleared staple %q", got.OCSPStaple)
	}
}

// TestStapleServingAllocatesNothing: the handshake's load of the staple.
func TestStapleServingAllocatesNothing(t *testing.T) {
	c := parsed(t)
	c.SetStaple([]byte("response"), time.Now().Add(time.Hour))
	if n := testing.AllocsPerRun(1000, func() { _ = c.Serving() }); n != 0 {
		t.Fatalf("Serving allocates %.1f times", n)
	}
}

func TestIssuerAndOCSPServer(t *testing.T) {
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"a.test"}, testcert.Options{OCSPServer: "http://127.0.0.1:1/ocsp"})
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key, Chain: []string{ca.PEM}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.OCSPServer() != "http://127.0.0.1:1/ocsp" || c.Issuer() == nil || !c.Issuer().Equal(ca.Cert) {
		t.Fatalf("responder %q, issuer %v", c.OCSPServer(), c.Issuer())
	}
	bare, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if bare.Issuer() != nil {
		t.Fatal("an issuer found without a chain")
	}
}

func parsed(t *testing.T) *cert.Cert {
	t.Helper()
	l := testcert.NewCA().Leaf([]string{"a.test"}, testcert.Options{})
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
