package cert_test

import (
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

func mustParse(t *testing.T, l testcert.Leaf) *cert.Cert {
	t.Helper()
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLookupExactWildcardDefault(t *testing.T) {
	ca := testcert.NewCA()
	exact := mustParse(t, ca.Leaf([]string{"shop.example.com"}, testcert.Options{}))
	wild := mustParse(t, ca.Leaf([]string{"*.example.com"}, testcert.Options{}))
	deep := mustParse(t, ca.Leaf([]string{"*.eu.example.com"}, testcert.Options{}))
	def := mustParse(t, ca.Leaf([]string{"default.test"}, testcert.Options{}))
	ix := cert.NewIndex([]*cert.Cert{exact, wild, deep}, def)
	for _, tc := range []struct {
		sni  string
		want *cert.Cert
	}{
		{"shop.example.com", exact},
		{"SHOP.Example.COM.", exact},
		{"blog.example.com", wild},
		{"a.eu.example.com", deep},
		{"a.b.example.com", def}, // a wildcard covers one label only
		{"example.com", def},
		{"", def},
		{"unknown.test", def},
	} {
		if got := ix.Lookup(tc.sni); got != tc.want {
			t.Errorf("Lookup(%q) = %v, want %v", tc.sni, names(got), names(tc.want))
		}
	}
	noDefault := cert.NewIndex([]*cert.Cert{exact}, nil)
	if got := noDefault.Lookup("other.test"); got != nil {
		t.Errorf("without a default certificate an unknown name gets %v", got.Names)
	}
	if got := noDefault.Lookup(""); got != nil {
		t.Errorf("without a default certificate no SNI gets %v", got.Names)
	}
	var none *cert.Index
	if none.Lookup("shop.example.com") != nil || none.Len() != 0 {
		t.Error("a nil index serves something")
	}
}

func names(c *cert.Cert) []string {
	if c == nil {
		return nil
	}
	return c.Names
}

func TestLookupPrefersLatestExpiry(t *testing.T) {
	ca := testcert.NewCA()
	soon := mustParse(t, ca.Leaf([]string{"a.example"}, testcert.Options{NotAfter: time.Now().Add(2 * time.Hour)}))
	late := mustParse(t, ca.Leaf([]string{"a.example", "b.example"}, testcert.Options{NotAfter: time.Now().Add(48 * time.Hour)}))
	mid := mustParse(t, ca.Leaf([]string{"a.example"}, testcert.Options{NotAfter: time.Now().Add(24 * time.Hour)}))
	for _, order := range [][]*cert.Cert{{soon, late, mid}, {late, mid, soon}, {mid, soon, late}} {
		if got := cert.NewIndex(order, nil).Lookup("a.example"); got != late {
			t.Errorf("got the certificate expiring %v, want the one expiring last", got.NotAfter)
		}
	}
	if got := cert.NewIndex([]*cert.Cert{soon, mid}, nil).Lookup("a.example"); got != mid {
		t.Errorf("got %v", got.NotAfter)
	}
}

func TestCovers(t *testing.T) {
	ca := testcert.NewCA()
	c := mustParse(t, ca.Leaf([]string{"shop.example.com", "*.api.example.com", "127.0.0.1", "::1"}, testcert.Options{}))
	for host, want := range map[string]bool{
		"shop.example.com":      true,
		"Shop.Example.com:8443": true,
		"shop.example.com.":     true,
		"v1.api.example.com":    true,
		"a.v1.api.example.com":  false,
		"api.example.com":       false,
		"evil.test":             false,
		"127.0.0.1:443":         true,
		"[::1]:443":             true,
		"":                      false,
	} {
		if got := c.Covers(host); got != want {
			t.Errorf("Covers(%q) = %v, want %v", host, got, want)
		}
		if got := c.CoversBytes([]byte(host)); got != want {
			t.Errorf("CoversBytes(%q) = %v, want %v", host, got, want)
		}
	}
	host := []byte("v1.api.example.com:443")
	if n := testing.AllocsPerRun(100, func() { c.CoversBytes(host) }); n != 0 {
		t.Errorf("CoversBytes allocates %v times", n)
	}
}

func BenchmarkLookup(b *testing.B) {
	ca := testcert.NewCA()
	var certs []*cert.Cert
	for _, n := range []string{"a.example", "*.example", "b.example", "*.b.example"} {
		l := ca.Leaf([]string{n}, testcert.Options{})
		c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		certs = append(certs, c)
	}
	ix := cert.NewIndex(certs, nil)
	b.ReportAllocs()
	for b.Loop() {
		if ix.Lookup("x.b.example") == nil {
			b.Fatal("no certificate for x.b.example")
		}
	}
}
