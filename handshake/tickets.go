package handshake

import (
	"crypto/rand"
	"crypto/tls"
	"sync"
	"time"
)

// Ticket-key rotation: a new key every TicketRotation; the newest encrypts
// new tickets, the previous TicketKeys-1 still decrypt older ones, so a
// ticket can be decrypted for at least TicketRotation × (TicketKeys-1)
// after it was issued: 12 hours, tlsparam.MaxTicketLifetime. Each
// listener's own lifetime (default 12h) is enforced in unwrapSession.
const (
	TicketRotation = time.Hour
	TicketKeys     = 13
)

// Tickets is the session-ticket key ring shared by the https listeners of
// a proxy. Its owner (the proxy loop) calls Rotate; the keys are pushed to
// every attached tls.Config, whose own rotation is thereby turned off. Its
// methods are safe for concurrent use.
type Tickets struct {
	mu      sync.Mutex
	keys    [][32]byte // newest first
	last    time.Time  // when the newest key was made
	configs []*tls.Config
}

// NewTickets returns a ring holding one fresh key made at now.
func NewTickets(now time.Time) *Tickets {
	t := &Tickets{}
	t.keys = [][32]byte{newKey()}
	t.last = now
	return t
}

func newKey() [32]byte {
	var k [32]byte
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails
	return k
}

// attach makes cfg use the ring's keys from now on.
func (t *Tickets) attach(cfg *tls.Config) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.configs = append(t.configs, cfg)
	cfg.SetSessionTicketKeys(t.keys)
}

// Detach stops pushing keys to the server's config (its listener is gone).
func (t *Tickets) Detach(s *Server) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, c := range t.configs {
		if c == s.config {
			t.configs = append(t.configs[:i], t.configs[i+1:]...)
			break
		}
	}
}

// Rotate adds a new key when TicketRotation has passed since the last one,
// drops the oldest beyond TicketKeys, and pushes the ring to every attached
// config. It reports whether it rotated.
func (t *Tickets) Rotate(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.last) < TicketRotation {
		return false
	}
	keys := make([][32]byte, 0, TicketKeys)
	keys = append(keys, newKey())
	keys = append(keys, t.keys[:min(len(t.keys), TicketKeys-1)]...)
	t.keys, t.last = keys, now
	for _, c := range t.configs {
		c.SetSessionTicketKeys(keys)
	}
	return true
}

// Len is the number of keys in the ring.
func (t *Tickets) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}
