package state

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// cert is a parsed certificate as stored on a listener.
type cert struct {
	order    order.AddCertificate
	info     order.CertificateInfo
	notAfter time.Time
}

// parseCert checks that the PEM parts parse, the key matches, and the
// certificate has not expired; it derives the fingerprint and names.
func parseCert(addr string, c order.CertificateAndKey) (cert, error) {
	full := c.Certificate
	for _, ch := range c.Chain {
		full += "\n" + ch
	}
	pair, err := tls.X509KeyPair([]byte(full), []byte(c.Key))
	if err != nil {
		return cert{}, errf("certificate", "%v", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return cert{}, errf("certificate.certificate", "%v", err)
	}
	if time.Now().After(leaf.NotAfter) {
		return cert{}, errf("certificate.certificate", "expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	sum := sha256.Sum256(leaf.Raw)
	names := c.Names
	if len(names) == 0 {
		names = leaf.DNSNames
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 && leaf.Subject.CommonName != "" {
			names = []string{leaf.Subject.CommonName}
		}
	}
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	return cert{
		order: order.AddCertificate{Address: addr, Certificate: c},
		info: order.CertificateInfo{
			Address: addr, Fingerprint: hex.EncodeToString(sum[:]), Names: names,
			NotAfter: leaf.NotAfter.UTC().Format(time.RFC3339),
		},
		notAfter: leaf.NotAfter,
	}, nil
}

func (s *State) needHTTPS(addr string) error {
	l, ok := s.listeners[addr]
	if !ok {
		return errf("certificate.address", "no listener on %s", addr)
	}
	if l.Protocol != order.HTTPS {
		return errf("certificate.address", "listener %s is %s, not https", addr, l.Protocol)
	}
	return nil
}

func (s *State) addCertificate(o order.AddCertificate, commit bool) error {
	if err := s.needHTTPS(o.Address); err != nil {
		return err
	}
	c, err := parseCert(o.Address, o.Certificate)
	if err != nil {
		return err
	}
	if _, ok := s.certs[o.Address][c.info.Fingerprint]; ok {
		return nil // identical certificate: already there
	}
	if commit {
		if s.certs[o.Address] == nil {
			s.certs[o.Address] = map[string]cert{}
		}
		s.certs[o.Address][c.info.Fingerprint] = c
	}
	return nil
}

func (s *State) replaceCertificate(o order.ReplaceCertificate, commit bool) error {
	if err := s.needHTTPS(o.Address); err != nil {
		return err
	}
	old := strings.ToLower(o.OldFingerprint)
	if _, ok := s.certs[o.Address][old]; !ok {
		return errf("certificate.old_fingerprint", "no certificate %s on %s", o.OldFingerprint, o.Address)
	}
	c, err := parseCert(o.Address, o.Certificate)
	if err != nil {
		return err
	}
	if commit {
		delete(s.certs[o.Address], old)
		s.certs[o.Address][c.info.Fingerprint] = c
	}
	return nil
}

func (s *State) removeCertificate(o order.RemoveCertificate, commit bool) error {
	if err := s.needHTTPS(o.Address); err != nil {
		return err
	}
	fp := strings.ToLower(o.Fingerprint)
	if _, ok := s.certs[o.Address][fp]; !ok {
		return errf("certificate.fingerprint", "no certificate %s on %s", o.Fingerprint, o.Address)
	}
	if commit {
		delete(s.certs[o.Address], fp)
	}
	return nil
}
