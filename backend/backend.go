package backend

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// Backend is one server of a cluster, shared by every request routed to it.
// Its configuration fields are immutable; its counters and idle pool are safe
// for concurrent use.
type Backend struct {
	Config order.Backend // as stored, with defaults applied
	Addr   string        // Config.Address

	inFlight atomic.Int64
	removed  atomic.Bool

	mu      sync.Mutex
	idle    []*Conn // most recently used last
	maxIdle int

	h2 h2cClient // used by clusters with http2 set
}

// NewBackend returns a backend for b that keeps at most maxIdle idle
// connections.
func NewBackend(b order.Backend, maxIdle int) *Backend {
	return &Backend{Config: b, Addr: b.Address, maxIdle: maxIdle}
}

// InFlight is the number of requests holding the backend now.
func (b *Backend) InFlight() int64 { return b.inFlight.Load() }

// Removed reports whether the backend was taken out of its cluster.
func (b *Backend) Removed() bool { return b.removed.Load() }

// Acquire counts a request starting on b; Release counts it done.
func (b *Backend) Acquire() { b.inFlight.Add(1) }

// Release counts a request done.
func (b *Backend) Release() { b.inFlight.Add(-1) }

// Conn is a connection to a backend, owned by one request at a time.
type Conn struct {
	net.Conn
	Backend *Backend
	// Reused is true when the connection came from the idle pool, so a
	// failure before any response byte may mean the server closed it while
	// idle.
	Reused    bool
	idleSince time.Time
	probe     *probe
}

// Dial opens a new connection to b within timeout.
func (b *Backend) Dial(ctx context.Context, timeout time.Duration) (*Conn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", b.Addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &Conn{Conn: c, Backend: b, probe: newProbe(c)}, nil
}

// GetIdle returns a pooled connection that is still open and was idle for
// less than maxIdleTime, or nil. Connections found dead or expired are
// closed.
func (b *Backend) GetIdle(now time.Time, maxIdleTime time.Duration) *Conn {
	for {
		b.mu.Lock()
		n := len(b.idle)
		if n == 0 {
			b.mu.Unlock()
			return nil
		}
		c := b.idle[n-1]
		b.idle[n-1] = nil
		b.idle = b.idle[:n-1]
		b.mu.Unlock()
		if now.Sub(c.idleSince) < maxIdleTime && c.probe.alive() {
			c.Reused = true
			return c
		}
		c.Conn.Close()
	}
}

// PutIdle returns a connection whose last exchange ended cleanly to the
// pool; it is closed instead when the backend was removed or the pool is
// full.
func (b *Backend) PutIdle(c *Conn, now time.Time) {
	if b.removed.Load() || b.maxIdle <= 0 {
		c.Conn.Close()
		return
	}
	c.idleSince = now
	b.mu.Lock()
	if len(b.idle) >= b.maxIdle || b.removed.Load() {
		b.mu.Unlock()
		c.Conn.Close()
		return
	}
	b.idle = append(b.idle, c)
	b.mu.Unlock()
}

// IdleCount is the number of pooled connections.
func (b *Backend) IdleCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.idle)
}

// CloseExpired closes pooled connections idle for maxIdleTime or longer.
func (b *Backend) CloseExpired(now time.Time, maxIdleTime time.Duration) {
	b.mu.Lock()
	keep := b.idle[:0]
	var expired []*Conn
	for _, c := range b.idle {
		if now.Sub(c.idleSince) >= maxIdleTime {
			expired = append(expired, c)
		} else {
			keep = append(keep, c)
		}
	}
	for i := len(keep); i < len(b.idle); i++ {
		b.idle[i] = nil
	}
	b.idle = keep
	b.mu.Unlock()
	for _, c := range expired {
		c.Conn.Close()
	}
}

// remove marks b removed and closes its idle connections.
func (b *Backend) remove() {
	b.removed.Store(true)
	b.mu.Lock()
	idle := b.idle
	b.idle = nil
	b.mu.Unlock()
	for _, c := range idle {
		c.Conn.Close()
	}
	b.h2.once.Do(func() {}) // no transport is made after this
	b.closeH2C()
}
