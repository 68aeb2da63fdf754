package handshake

import (
	"crypto/tls"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// BenchmarkFullHandshake: a full TLS 1.3 handshake over loopback (ECDSA
// P-256), the certificate bare and with an OCSP staple (crypto/tls
// clients always ask for one), so the staple's cost per handshake shows.
func BenchmarkFullHandshake(b *testing.B) {
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"shop.test"}, testcert.Options{OCSPServer: "http://127.0.0.1:1/"})
	now := time.Now()
	der := ca.OCSPResponse(l.X509, ocsp.Good, now.Add(-time.Minute), now.Add(time.Hour))
	for _, stapled := range []bool{false, true} {
		name := "bare"
		if stapled {
			name = "stapled"
		}
		b.Run(name, func(b *testing.B) {
			c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key, Chain: []string{ca.PEM}}, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			if stapled {
				c.SetStaple(der, now.Add(time.Hour))
			}
			s, err := NewServer(Settings{}, NewTickets(time.Now()))
			if err != nil {
				b.Fatal(err)
			}
			s.SetIndex(cert.NewIndex([]*cert.Cert{c}, nil))
			cfg := &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool}
			b.ReportAllocs()
			for b.Loop() {
				st, _, err := pair(b, s, cfg)
				if err != nil || (len(st.OCSPResponse) > 0) != stapled {
					b.Fatalf("handshake: %v, staple of %d bytes", err, len(st.OCSPResponse))
				}
			}
		})
	}
}
