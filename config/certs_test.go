package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var genCerts = flag.Bool("gencerts", false, "regenerate the test certificates under testdata/certs")

// TestGenerateCerts writes the committed test certificates when run with
// -gencerts: a CA (chain.pem), leaves for default.example.test and
// shop.example.com signed by it and valid until 2036, an expired
// self-signed certificate, and a key that matches nothing.
func TestGenerateCerts(t *testing.T) {
	if !*genCerts {
		t.Skip("run with -gencerts to regenerate testdata/certs")
	}
	dir := filepath.Join("testdata", "certs")
	until := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	caKey := newKey(t)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Sluice Test CA"},
		NotBefore: from, NotAfter: until, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER := sign(t, ca, ca, caKey, caKey)
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "chain.pem"), "CERTIFICATE", caDER)

	leaf := func(name string, serial int64, notAfter time.Time, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			DNSNames: []string{name}, NotBefore: from.AddDate(-10, 0, 0), NotAfter: notAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		base := filepath.Join(dir, stem(name))
		writePEM(t, base+".pem", "CERTIFICATE", sign(t, tmpl, parent, key, parentKey))
		writeKey(t, base+".key", key)
	}
	leaf("default.example.test", 2, until, caCert, caKey)
	leaf("shop.example.com", 3, until, caCert, caKey)
	leaf("expired.example.test", 4, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), nil, nil)
	writeKey(t, filepath.Join(dir, "other.key"), newKey(t))
}

func stem(name string) string {
	switch name {
	case "default.example.test":
		return "default"
	case "shop.example.com":
		return "shop"
	}
	return "expired"
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t *testing.T, tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) []byte {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writeKey(t *testing.T, path string, k *ecdsa.PrivateKey) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, path, "PRIVATE KEY", der)
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
