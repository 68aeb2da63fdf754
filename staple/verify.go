package staple

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"
)

// ClockSkew is how far in the future a response's thisUpdate may be and
// still be accepted (the responder's clock may run ahead of ours).
const ClockSkew = 5 * time.Minute

// ErrRevoked is the error of a response saying the certificate is revoked.
var ErrRevoked = errors.New("the OCSP responder says the certificate is revoked")

// Verify parses der as the OCSP response for leaf, issued by issuer, and
// checks that it may be stapled at now: its signature is the issuer's (or
// that of a responder certificate the issuer delegated OCSP signing to),
// it is about leaf's serial number, its status is good, its thisUpdate is
// not later than now+ClockSkew, and it has a nextUpdate after now (a
// response without one has no known end and is refused).
func Verify(der []byte, leaf, issuer *x509.Certificate, now time.Time) (*ocsp.Response, error) {
	r, err := ocsp.ParseResponseForCert(der, leaf, issuer)
	if err != nil {
		return nil, fmt.Errorf("invalid OCSP response: %w", err)
	}
	switch r.Status {
	case ocsp.Good:
	case ocsp.Revoked:
		return r, fmt.Errorf("%w (at %s, reason %d)", ErrRevoked, r.RevokedAt.UTC().Format(time.RFC3339), r.RevocationReason)
	default:
		return r, errors.New("the OCSP responder does not know the certificate (status unknown)")
	}
	if r.ThisUpdate.After(now.Add(ClockSkew)) {
		return nil, fmt.Errorf("OCSP response from the future (thisUpdate %s)", r.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if r.NextUpdate.IsZero() {
		return nil, errors.New("OCSP response without nextUpdate: its validity has no known end")
	}
	if !now.Before(r.NextUpdate) {
		return nil, fmt.Errorf("OCSP response expired (nextUpdate %s)", r.NextUpdate.UTC().Format(time.RFC3339))
	}
	return r, nil
}
