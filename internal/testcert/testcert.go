// Package testcert makes certificates for tests: a private CA and leaves
// signed by it, as PEM text, with the names, lifetime and key type asked for.
// It is meant for tests only: keys are generated fresh and never stored.
package testcert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ocsp"
)

// CA is a certificate authority for tests.
type CA struct {
	Cert *x509.Certificate
	PEM  string // the CA certificate
	Pool *x509.CertPool
	key  crypto.Signer
}

var serial atomic.Int64

// NewCA returns a fresh CA valid for a day around now.
func NewCA() *CA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: "sluice test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return &CA{Cert: c, PEM: encode("CERTIFICATE", der), Pool: pool, key: key}
}

// Leaf is a certificate and its key, as PEM.
type Leaf struct {
	Cert string
	Key  string
	X509 *x509.Certificate
}

// Options shape a leaf. Zero values: a P-256 key, valid from an hour ago
// for a day.
type Options struct {
	NotBefore, NotAfter time.Time
	RSABits             int // an RSA key of this size instead of P-256
	// Client makes a client certificate (extended key usage clientAuth)
	// instead of a server certificate.
	Client bool
	// OCSPServer, when set, is the leaf's OCSP responder URL (Authority
	// Information Access).
	OCSPServer string
}

// Leaf returns a leaf for names (DNS names, or IP addresses) signed by ca.
func (ca *CA) Leaf(names []string, o Options) Leaf {
	var key crypto.Signer
	var err error
	if o.RSABits > 0 {
		key, err = rsa.GenerateKey(rand.Reader, o.RSABits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		panic(err)
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if o.OCSPServer != "" {
		tpl.OCSPServer = []string{o.OCSPServer}
	}
	if o.Client {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if len(names) > 0 {
		tpl.Subject.CommonName = names[0]
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		panic(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	c, _ := x509.ParseCertificate(der)
	return Leaf{Cert: encode("CERTIFICATE", der), Key: encode("PRIVATE KEY", kder), X509: c}
}

// OCSPResponse returns an OCSP response (DER) signed by ca about leaf,
// with status (ocsp.Good, ocsp.Revoked, ocsp.Unknown) and the window
// thisUpdate–nextUpdate (a zero nextUpdate is left out).
func (ca *CA) OCSPResponse(leaf *x509.Certificate, status int, thisUpdate, nextUpdate time.Time) []byte {
	tpl := ocsp.Response{Status: status, SerialNumber: leaf.SerialNumber, ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	if status == ocsp.Revoked {
		tpl.RevokedAt, tpl.RevocationReason = thisUpdate.Add(-time.Hour), ocsp.KeyCompromise
	}
	der, err := ocsp.CreateResponse(ca.Cert, ca.Cert, tpl, ca.key)
	if err != nil {
		panic(err)
	}
	return der
}

func encode(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}
