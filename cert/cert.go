// Package cert parses the certificates of https listeners and indexes them
// by name for the TLS handshake.
//
// A [Cert] is parsed once, when its order is checked; an [Index] is an
// immutable set of one listener's certificates that the proxy rebuilds on
// every certificate order and publishes through an atomic pointer, so the
// handshake path reads it without a lock.
package cert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// MinRSABits is the smallest RSA key accepted.
const MinRSABits = 2048

// Cert is a certificate ready to serve. It is immutable once parsed, but
// for its OCSP staple (see staple.go), an immutable snapshot swapped
// atomically.
type Cert struct {
	// Fingerprint is the hex SHA-256 of the leaf's DER, lower case.
	Fingerprint string
	// Names are the names it is served for, lower case: the order's
	// Names when given, else the leaf's DNS and IP SANs, else its common
	// name. A name "*.example.com" covers one label before example.com.
	Names []string
	// NotAfter is the leaf's expiry.
	NotAfter time.Time
	// TLS is the leaf and its chain (the leaf never twice) with the
	// private key and the parsed leaf.
	TLS *tls.Certificate

	staple atomic.Pointer[stapled]
}

// Error is a certificate that cannot be served; Field names the part at
// fault ("certificate.certificate", "certificate.key", "certificate.chain").
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return e.Field + ": " + e.Reason }

func errf(field, format string, args ...any) error {
	return &Error{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Parse checks c and returns it ready to serve: the certificate PEM holds
// the leaf first (any further certificates in it are chain), the chain
// holds only certificates, the key is a PEM private key matching the leaf
// (RSA of at least MinRSABits, ECDSA or Ed25519), and the leaf has not
// expired at now. The leaf is dropped from the chain wherever it appears
// again, as do repeated chain certificates.
func Parse(c order.CertificateAndKey, now time.Time) (*Cert, error) {
	ders, err := certBlocks([]byte(c.Certificate))
	if err != nil {
		return nil, errf("certificate.certificate", "%v", err)
	}
	leaf, err := x509.ParseCertificate(ders[0])
	if err != nil {
		return nil, errf("certificate.certificate", "invalid certificate: %v", err)
	}
	if now.After(leaf.NotAfter) {
		return nil, errf("certificate.certificate", "expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return nil, errf("certificate.certificate", "not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	for i, ch := range c.Chain {
		more, err := certBlocks([]byte(ch))
		if err != nil {
			return nil, errf("certificate.chain", "part %d: %v", i+1, err)
		}
		ders = append(ders, more...)
	}
	chain := [][]byte{ders[0]}
	for _, d := range ders[1:] {
		if !containsDER(chain, d) {
			if _, err := x509.ParseCertificate(d); err != nil {
				return nil, errf("certificate.chain", "invalid certificate: %v", err)
			}
			chain = append(chain, d)
		}
	}
	key, err := parseKey([]byte(c.Key))
	if err != nil {
		return nil, errf("certificate.key", "%v", err)
	}
	if err := matches(leaf, key); err != nil {
		return nil, errf("certificate.key", "%v", err)
	}
	ns := names(leaf, c.Names)
	for _, n := range ns {
		if err := checkName(n); err != nil {
			return nil, errf("certificate.names", "%v", err)
		}
	}
	sum := sha256.Sum256(leaf.Raw)
	return &Cert{
		Fingerprint: hex.EncodeToString(sum[:]),
		Names:       ns,
		NotAfter:    leaf.NotAfter,
		TLS:         &tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf},
	}, nil
}

// certBlocks returns the DER of every CERTIFICATE block of data; any other
// block, or none, is an error.
func certBlocks(data []byte) ([][]byte, error) {
	var out [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("holds a %q PEM block where certificates are expected", b.Type)
		}
		out = append(out, b.Bytes)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block found")
	}
	return out, nil
}

func containsDER(list [][]byte, d []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, d) {
			return true
		}
	}
	return false
}

// parseKey reads the first private key block of data (PKCS #8, PKCS #1
// or SEC 1).
func parseKey(data []byte) (any, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM private key block found")
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid PKCS #8 key: %v", err)
			}
			return k, nil
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid RSA key: %v", err)
			}
			return k, nil
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid EC key: %v", err)
			}
			return k, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted keys are not supported; decrypt it first")
		}
	}
}

// matches checks that key is the private half of leaf's public key.
func matches(leaf *x509.Certificate, key any) error {
	mismatch := errors.New("does not match the certificate's public key")
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok || pub.N.Cmp(k.N) != 0 || pub.E != k.E {
			return mismatch
		}
		if bits := k.N.BitLen(); bits < MinRSABits {
			return fmt.Errorf("RSA key of %d bits; at least %d are needed", bits, MinRSABits)
		}
	case *ecdsa.PrivateKey:
		pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok || !pub.Equal(&k.PublicKey) {
			return mismatch
		}
	case ed25519.PrivateKey:
		pub, ok := leaf.PublicKey.(ed25519.PublicKey)
		if !ok || !pub.Equal(k.Public()) {
			return mismatch
		}
	default:
		return fmt.Errorf("unsupported key type %T", key)
	}
	return nil
}

// names returns the names to serve leaf for: override when given, else
// the SANs, else the common name; lower case, without a trailing dot.
func names(leaf *x509.Certificate, override []string) []string {
	var out []string
	switch {
	case len(override) > 0:
		out = append(out, override...)
	default:
		out = append(out, leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			out = append(out, ip.String())
		}
		if len(out) == 0 && leaf.Subject.CommonName != "" {
			out = append(out, leaf.Subject.CommonName)
		}
	}
	for i, n := range out {
		out[i] = strings.TrimSuffix(strings.ToLower(n), ".")
	}
	return out
}

// checkName accepts a host name, an IP address, or "*." followed by a host
// name.
func checkName(n string) error {
	rest := strings.TrimPrefix(n, "*.")
	if rest == "" || strings.ContainsAny(rest, "* \t/") || strings.Contains(rest, "..") ||
		strings.HasPrefix(rest, ".") {
		return fmt.Errorf("%q is not a host name or a one-label wildcard (*.example.com)", n)
	}
	return nil
}
