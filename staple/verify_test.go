package staple_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/staple"
)

func TestVerify(t *testing.T) {
	ca, other := testcert.NewCA(), testcert.NewCA()
	leaf := ca.Leaf([]string{"a.test"}, testcert.Options{}).X509
	sibling := ca.Leaf([]string{"b.test"}, testcert.Options{}).X509
	now := time.Now().Truncate(time.Second)
	hour := time.Hour
	cases := []struct {
		name string
		der  []byte
		want string // "" when it verifies
	}{
		{"good", ca.OCSPResponse(leaf, ocsp.Good, now.Add(-hour), now.Add(hour)), ""},
		{"revoked", ca.OCSPResponse(leaf, ocsp.Revoked, now.Add(-hour), now.Add(hour)), "revoked"},
		{"unknown", ca.OCSPResponse(leaf, ocsp.Unknown, now.Add(-hour), now.Add(hour)), "status unknown"},
		{"expired", ca.OCSPResponse(leaf, ocsp.Good, now.Add(-2*hour), now.Add(-hour)), "expired"},
		{"nextUpdate now", ca.OCSPResponse(leaf, ocsp.Good, now.Add(-hour), now), "expired"},
		{"no nextUpdate", ca.OCSPResponse(leaf, ocsp.Good, now.Add(-hour), time.Time{}), "without nextUpdate"},
		{"from the future", ca.OCSPResponse(leaf, ocsp.Good, now.Add(hour), now.Add(2*hour)), "from the future"},
		{"within clock skew", ca.OCSPResponse(leaf, ocsp.Good, now.Add(time.Minute), now.Add(hour)), ""},
		{"another certificate's", ca.OCSPResponse(sibling, ocsp.Good, now.Add(-hour), now.Add(hour)), "invalid OCSP response"},
		{"signed by another CA", other.OCSPResponse(leaf, ocsp.Good, now.Add(-hour), now.Add(hour)), "invalid OCSP response"},
		{"garbage", []byte("<html>not OCSP</html>"), "invalid OCSP response"},
		{"empty", nil, "invalid OCSP response"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := staple.Verify(c.der, leaf, ca.Cert, now)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if r.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
					t.Fatalf("serial %v, want %v", r.SerialNumber, leaf.SerialNumber)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Verify: %v, want an error containing %q", err, c.want)
			}
			if c.name == "revoked" && !errors.Is(err, staple.ErrRevoked) {
				t.Fatalf("revoked: %v is not ErrRevoked", err)
			}
		})
	}
}

// FuzzVerify: no input makes Verify panic, and what it accepts is about
// the leaf and valid now.
func FuzzVerify(f *testing.F) {
	ca := testcert.NewCA()
	leaf := ca.Leaf([]string{"a.test"}, testcert.Options{}).X509
	now := time.Now()
	f.Add(ca.OCSPResponse(leaf, ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour)))
	f.Add(ca.OCSPResponse(leaf, ocsp.Revoked, now.Add(-time.Hour), now.Add(time.Hour)))
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, der []byte) {
		r, err := staple.Verify(der, leaf, ca.Cert, now)
		if err == nil && (r.Status != ocsp.Good || !now.Before(r.NextUpdate) || r.SerialNumber.Cmp(leaf.SerialNumber) != 0) {
			t.Fatalf("accepted %+v", r)
		}
	})
}
