// Package tlsparam names the TLS parameters an operator may configure:
// cipher suites, key-exchange groups (curves) and the session-ticket
// lifetime of https listeners, with their defaults and bounds. It turns
// names into crypto/tls values and refuses, with a message saying why,
// every name it does not allow. It is a leaf: order validates with it,
// handshake configures crypto/tls with it.
package tlsparam

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"
)

// suites are the TLS 1.2 suites that may be configured, by their IANA
// names (as crypto/tls, Caddy and testssl spell them): ECDHE key exchange
// (forward secrecy) with an AEAD. The order is the default preference
// (crypto/tls applies its own order anyway).
var suites = []struct {
	name string
	id   uint16
}{
	{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
	{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
	{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
	{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
	{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
	{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
}

// curves are the key-exchange groups that may be configured, by the
// names crypto/tls gives them; the order is the default list.
var curves = []struct {
	name string
	id   tls.CurveID
}{
	{"X25519", tls.X25519},
	{"X25519MLKEM768", tls.X25519MLKEM768},
	{"P-256", tls.CurveP256},
	{"P-384", tls.CurveP384},
	{"P-521", tls.CurveP521},
}

// Ticket lifetimes: a session ticket resumes a session for at most
// DefaultTicketLifetime after the full handshake that made it, unless a
// listener sets another lifetime, within MinTicketLifetime and
// MaxTicketLifetime. MaxTicketLifetime is how long the proxy keeps a
// ticket key (handshake.TicketRotation × handshake.TicketKeys): a longer
// lifetime could not be honoured.
const (
	DefaultTicketLifetime = 12 * time.Hour
	MinTicketLifetime     = time.Minute
	MaxTicketLifetime     = 12 * time.Hour
)

// DefaultSuites are the TLS 1.2 suites of a listener that names none:
// every suite allowed.
func DefaultSuites() []uint16 {
	ids := make([]uint16, len(suites))
	for i, s := range suites {
		ids[i] = s.id
	}
	return ids
}

// DefaultCurves are the groups of a listener that names none: X25519,
// X25519MLKEM768, P-256, P-384 (not P-521: slow, and no client needs it).
func DefaultCurves() []tls.CurveID {
	return []tls.CurveID{tls.X25519, tls.X25519MLKEM768, tls.CurveP256, tls.CurveP384}
}

// Suites turns suite names into crypto/tls ids; empty gives DefaultSuites.
// An unknown name, a TLS 1.3 suite (not configurable: crypto/tls always
// offers its three, all AEAD), a suite without forward secrecy or without
// an AEAD, and a name given twice are refused.
func Suites(names []string) ([]uint16, error) {
	if len(names) == 0 {
		return DefaultSuites(), nil
	}
	ids := make([]uint16, 0, len(names))
	for i, n := range names {
		id, err := suite(n)
		if err != nil {
			return nil, err
		}
		for _, prev := range names[:i] {
			if prev == n {
				return nil, fmt.Errorf("%q is listed twice", n)
			}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func suite(n string) (uint16, error) {
	for _, s := range suites {
		if s.name == n {
			return s.id, nil
		}
	}
	for _, s := range tls.CipherSuites() {
		if s.Name == n {
			if len(s.SupportedVersions) == 1 && s.SupportedVersions[0] == tls.VersionTLS13 {
				return 0, fmt.Errorf("%q is a TLS 1.3 suite; those are not configurable (crypto/tls offers all three, all AEAD)", n)
			}
			return 0, fmt.Errorf("%q is refused: only ECDHE suites with an AEAD (GCM or ChaCha20-Poly1305) are allowed", n)
		}
	}
	for _, s := range tls.InsecureCipherSuites() {
		if s.Name == n {
			return 0, fmt.Errorf("%q is insecure and refused", n)
		}
	}
	return 0, fmt.Errorf("%q is not a cipher suite; one of %s", n, strings.Join(SuiteNames(), ", "))
}

// SuiteNames are the names Suites accepts.
func SuiteNames() []string {
	n := make([]string, len(suites))
	for i, s := range suites {
		n[i] = s.name
	}
	return n
}

// Curves turns group names into crypto/tls ids; empty gives
// DefaultCurves. Unknown names and a name given twice are refused.
func Curves(names []string) ([]tls.CurveID, error) {
	if len(names) == 0 {
		return DefaultCurves(), nil
	}
	ids := make([]tls.CurveID, 0, len(names))
	for i, n := range names {
		var id tls.CurveID
		for _, c := range curves {
			if c.name == n {
				id = c.id
			}
		}
		if id == 0 {
			return nil, fmt.Errorf("%q is not a curve; one of %s", n, strings.Join(CurveNames(), ", "))
		}
		for _, prev := range names[:i] {
			if prev == n {
				return nil, fmt.Errorf("%q is listed twice", n)
			}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// CurveNames are the names Curves accepts.
func CurveNames() []string {
	n := make([]string, len(curves))
	for i, c := range curves {
		n[i] = c.name
	}
	return n
}

// TicketLifetime checks a configured lifetime; 0 gives
// DefaultTicketLifetime.
func TicketLifetime(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultTicketLifetime, nil
	case d < MinTicketLifetime || d > MaxTicketLifetime:
		return 0, fmt.Errorf("%s is outside %s..%s (ticket keys are kept %s)", d, MinTicketLifetime, "12h", "12h")
	}
	return d, nil
}
