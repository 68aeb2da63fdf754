package state

import (
	"errors"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/order"
)

// storedCert is a certificate attached to a listener: the order that added
// it, Default included (for dumps), and its parsed form (for serving and
// listing). A listener's default certificate is one of them.
type storedCert struct {
	order  order.AddCertificate
	parsed *cert.Cert
}

// parseCert parses c with cert.Parse, turning its error into a field error.
func parseCert(c order.CertificateAndKey, field string, now time.Time) (*cert.Cert, error) {
	pc, err := cert.Parse(c, now)
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
		NotAfter: c.parsed.NotAfter.UTC().Format(time.RFC3339), Default: c.order.Default,
	}
}

// defaultCert returns the default certificate of the listener on addr.
func (s State) defaultCert(addr string) (storedCert, bool) {
	set, _ := s.certs.get(addr)
	for _, c := range set.all {
		if c.order.Default {
			return c, true
		}
	}
	return storedCert{}, false
}

func (s State) needHTTPS(addr string) error {
	l, ok := s.listeners.get(addr)
	if !ok {
		return order.NotFound("certificate.address", "no listener on %s", addr)
	}
	if l.Protocol != order.HTTPS {
		return errf("certificate.address", "listener %s is %s, not https", addr, l.Protocol)
	}
	return nil
}

// putCert attaches c to the listener on addr; dropCert detaches the
// certificate with the fingerprint.
func (t *step) putCert(addr string, c storedCert) {
	set, _ := t.s.certs.get(addr)
	t.s.certs = t.s.certs.with(addr, set.with(c.parsed.Fingerprint, c))
}

func (t *step) dropCert(addr, fp string) {
	set, _ := t.s.certs.get(addr)
	t.s.certs = t.s.certs.with(addr, set.without(fp))
}

func (t *step) addCertificate(o order.AddCertificate) error {
	if err := t.s.needHTTPS(o.Address); err != nil {
		return err
	}
	c, err := parseCert(o.Certificate, "certificate", t.s.time())
	if err != nil {
		return err
	}
	set, _ := t.s.certs.get(o.Address)
	if old, ok := set.get(c.Fingerprint); ok {
		if o.Default && !old.order.Default {
			return order.Conflict("certificate.default", "certificate %s is on %s already, not as the default; remove it first, or replace the default certificate with replace_certificate", c.Fingerprint, o.Address)
		}
		return nil // the same certificate: already there
	}
	if def, ok := t.s.defaultCert(o.Address); ok && o.Default {
		return order.Conflict("certificate.default", "listener %s has a default certificate (%s); replace it with replace_certificate", o.Address, def.parsed.Fingerprint)
	}
	t.putCert(o.Address, storedCert{order: o, parsed: c})
	t.emit(PublishCertificates{Address: o.Address})
	return nil
}

// replaceCertificate swaps the old certificate for the new one in one
// step; the new one is the default when either was.
func (t *step) replaceCertificate(o order.ReplaceCertificate) error {
	if err := t.s.needHTTPS(o.Address); err != nil {
		return err
	}
	oldFP := strings.ToLower(o.OldFingerprint)
	set, _ := t.s.certs.get(o.Address)
	old, ok := set.get(oldFP)
	if !ok {
		return order.NotFound("certificate.old_fingerprint", "no certificate %s on %s", o.OldFingerprint, o.Address)
	}
	c, err := parseCert(o.Certificate, "certificate", t.s.time())
	if err != nil {
		return err
	}
	if c.Fingerprint == oldFP {
		return nil // replaced by itself
	}
	nc := storedCert{order: order.AddCertificate{Address: o.Address, Certificate: o.Certificate, Default: old.order.Default}, parsed: c}
	if cur, ok := set.get(c.Fingerprint); ok && cur.order.Default {
		nc.order.Default = true
	}
	t.dropCert(o.Address, oldFP)
	t.putCert(o.Address, nc)
	t.emit(PublishCertificates{Address: o.Address})
	return nil
}

func (t *step) removeCertificate(o order.RemoveCertificate) error {
	if err := t.s.needHTTPS(o.Address); err != nil {
		return err
	}
	fp := strings.ToLower(o.Fingerprint)
	set, _ := t.s.certs.get(o.Address)
	if !set.has(fp) {
		return order.NotFound("certificate.fingerprint", "no certificate %s on %s", o.Fingerprint, o.Address)
	}
	t.dropCert(o.Address, fp)
	t.emit(PublishCertificates{Address: o.Address})
	return nil
}
