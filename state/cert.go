package state

import (
	"errors"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/order"
)

// storedCert is a certificate attached to a listener: the order that added
// it (for dumps) and its parsed form (for serving and listing).
type storedCert struct {
	order  order.AddCertificate
	parsed *cert.Cert
}

// parseCert parses c with cert.Parse, turning its error into a field error.
func parseCert(c order.CertificateAndKey, field string) (*cert.Cert, error) {
	pc, err := cert.Parse(c, time.Now())
	var ce *cert.Error
	if errors.As(err, &ce) {
		f := ce.Field
		if field != "certificate" {
			f = field + strings.TrimPrefix(ce.Field, "certificate")
		}
		return nil, errf(f, "%s", ce.Reason)
	}
	return pc, err
}

func (c storedCert) info(addr string) order.CertificateInfo {
	return order.CertificateInfo{
		Address: addr, Fingerprint: c.parsed.Fingerprint, Names: c.parsed.Names,
		NotAfter: c.parsed.NotAfter.UTC().Format(time.RFC3339),
	}
}

// ServedCerts returns the parsed certificates attached to the listener on
// addr, sorted by fingerprint, and its parsed default certificate (nil when
// it has none).
func (s *State) ServedCerts(addr string) (certs []*cert.Cert, def *cert.Cert) {
	for _, fp := range sortedKeys(s.certs[addr]) {
		certs = append(certs, s.certs[addr][fp].parsed)
	}
	return certs, s.defaults[addr]
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
	c, err := parseCert(o.Certificate, "certificate")
	if err != nil {
		return err
	}
	if _, ok := s.certs[o.Address][c.Fingerprint]; ok {
		return nil // identical certificate: already there
	}
	if commit {
		if s.certs[o.Address] == nil {
			s.certs[o.Address] = map[string]storedCert{}
		}
		s.certs[o.Address][c.Fingerprint] = storedCert{order: o, parsed: c}
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
	c, err := parseCert(o.Certificate, "certificate")
	if err != nil {
		return err
	}
	if commit {
		delete(s.certs[o.Address], old)
		s.certs[o.Address][c.Fingerprint] = storedCert{
			order:  order.AddCertificate{Address: o.Address, Certificate: o.Certificate},
			parsed: c,
		}
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
