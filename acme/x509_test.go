package acme_test

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/sluiceproxy/sluice/acme"
	"github.com/sluiceproxy/sluice/internal/pebbletest"
)

// verify checks c's leaf for name against pebble's roots, with the
// intermediates of c's chain.
func verify(t *testing.T, p *pebbletest.Server, c *acme.Cert, name string) {
	t.Helper()
	inter := x509.NewCertPool()
	rest := c.Chain
	for i := 0; ; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if i > 0 {
			x, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			inter.AddCert(x)
		}
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: p.Roots, Intermediates: inter}); err != nil {
		t.Fatalf("the certificate does not verify: %v", err)
	}
}
