package cert_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

func TestParseDerivesFingerprintNamesExpiry(t *testing.T) {
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"Shop.Example.com", "*.api.example.com", "127.0.0.1"}, testcert.Options{})
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(l.X509.Raw)
	if c.Fingerprint != hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint %s", c.Fingerprint)
	}
	if got := strings.Join(c.Names, ","); got != "shop.example.com,*.api.example.com,127.0.0.1" {
		t.Errorf("names %s", got)
	}
	if !c.NotAfter.Equal(l.X509.NotAfter) {
		t.Errorf("not after %v, want %v", c.NotAfter, l.X509.NotAfter)
	}
	o, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key, Names: []string{"Other.example."}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Names, ",") != "other.example" {
		t.Errorf("names override: %v", o.Names)
	}
}

func TestParseChainWithoutDuplicateLeaf(t *testing.T) {
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"a.example"}, testcert.Options{})
	// A fullchain.pem as certificate, and the same chain again (with the
	// leaf) as chain: the leaf and the CA each go out once.
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert + ca.PEM, Key: l.Key,
		Chain: []string{l.Cert + ca.PEM, ca.PEM}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.TLS.Certificate); n != 2 {
		t.Fatalf("chain of %d certificates, want leaf + CA", n)
	}
	if string(c.TLS.Certificate[1]) != string(ca.Cert.Raw) {
		t.Errorf("second certificate is not the CA")
	}
}

func TestParseRefusesBadInput(t *testing.T) {
	ca := testcert.NewCA()
	good := ca.Leaf([]string{"a.example"}, testcert.Options{})
	other := ca.Leaf([]string{"b.example"}, testcert.Options{})
	expired := ca.Leaf([]string{"a.example"}, testcert.Options{NotBefore: time.Now().Add(-48 * time.Hour),
		NotAfter: time.Now().Add(-time.Hour)})
	future := ca.Leaf([]string{"a.example"}, testcert.Options{NotBefore: time.Now().Add(time.Hour)})
	weak := ca.Leaf([]string{"a.example"}, testcert.Options{RSABits: 1024})
	truncated := good.Cert[:len(good.Cert)/2] + "\n-----END CERTIFICATE-----\n"
	for name, tc := range map[string]struct {
		in          order.CertificateAndKey
		field, want string
	}{
		"no PEM":        {order.CertificateAndKey{Certificate: "hello", Key: good.Key}, "certificate.certificate", "no PEM CERTIFICATE"},
		"key as cert":   {order.CertificateAndKey{Certificate: good.Key, Key: good.Key}, "certificate.certificate", "PRIVATE KEY"},
		"truncated PEM": {order.CertificateAndKey{Certificate: truncated, Key: good.Key}, "certificate.certificate", ""},
		"no key":        {order.CertificateAndKey{Certificate: good.Cert, Key: good.Cert}, "certificate.key", "no PEM private key"},
		"other key":     {order.CertificateAndKey{Certificate: good.Cert, Key: other.Key}, "certificate.key", "does not match"},
		"expired":       {order.CertificateAndKey{Certificate: expired.Cert, Key: expired.Key}, "certificate.certificate", "expired on"},
		"not yet valid": {order.CertificateAndKey{Certificate: future.Cert, Key: future.Key}, "certificate.certificate", "not valid before"},
		"weak RSA":      {order.CertificateAndKey{Certificate: weak.Cert, Key: weak.Key}, "certificate.key", "1024 bits"},
		"bad chain":     {order.CertificateAndKey{Certificate: good.Cert, Key: good.Key, Chain: []string{"junk"}}, "certificate.chain", "part 1"},
		"bad name":      {order.CertificateAndKey{Certificate: good.Cert, Key: good.Key, Names: []string{"a.*.example"}}, "certificate.names", "wildcard"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := cert.Parse(tc.in, time.Now())
			var ce *cert.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *cert.Error", err)
			}
			if ce.Field != tc.field || !strings.Contains(ce.Reason, tc.want) {
				t.Errorf("error %q, want field %s and %q", err, tc.field, tc.want)
			}
		})
	}
}
