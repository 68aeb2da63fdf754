package tlsparam

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	ids, err := Suites(nil)
	if err != nil || len(ids) != 6 {
		t.Fatalf("default suites %v, %v", ids, err)
	}
	for _, id := range ids {
		name := tls.CipherSuiteName(id)
		if !strings.HasPrefix(name, "TLS_ECDHE_") || !(strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20")) {
			t.Errorf("default suite %s is not ECDHE with an AEAD", name)
		}
	}
	if c, _ := Curves(nil); !slices.Equal(c, []tls.CurveID{tls.X25519, tls.X25519MLKEM768, tls.CurveP256, tls.CurveP384}) {
		t.Errorf("default curves %v", c)
	}
	if d, err := TicketLifetime(0); d != DefaultTicketLifetime || err != nil || d >= 7*24*time.Hour {
		t.Errorf("default lifetime %v, %v", d, err)
	}
	for _, d := range []time.Duration{time.Second, 13 * time.Hour} {
		if _, err := TicketLifetime(d); err == nil {
			t.Errorf("lifetime %v accepted", d)
		}
	}
}

// Every name Suites or Curves accepts maps to what crypto/tls calls it,
// and nothing else is accepted; no input panics.
func FuzzNames(f *testing.F) {
	for _, s := range append(SuiteNames(), append(CurveNames(), "", "TLS_AES_128_GCM_SHA256", "TLS_RSA_WITH_RC4_128_SHA", "p-256", "x25519")...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ids, err := Suites([]string{name}); err == nil {
			if tls.CipherSuiteName(ids[0]) != name || !slices.Contains(SuiteNames(), name) {
				t.Errorf("suite %q accepted as %x", name, ids[0])
			}
		} else if err.Error() == "" {
			t.Error("empty error")
		}
		if ids, err := Curves([]string{name}); err == nil {
			if ids[0].String() != name && !(name == "P-256" || name == "P-384" || name == "P-521") {
				t.Errorf("curve %q accepted as %v", name, ids[0])
			}
			if !slices.Contains(CurveNames(), name) {
				t.Errorf("curve %q accepted", name)
			}
		}
	})
}
