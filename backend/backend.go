package backend

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/internal/sock"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
)

// Backend is one server of a cluster, shared by every request routed to it.
// Its configuration fields are immutable; its counters and idle pool are safe
// for concurrent use.
type Backend struct {
	Config order.Backend // as stored, with defaults applied
	Addr   string        // Config.Address: host:port as configured (the host may be a name)

	// resolved holds the addresses (ip:port) new connections go to when
	// Addr names a host (see resolve.go); nil: one is dialled.
	resolved atomic.Pointer[[]string]
	one      []string // Addr alone

	// M counts the backend's traffic; nil when the proxy keeps no metrics.
	// Set before the backend is added to its cluster.
	M *metrics.Backend

	inFlight atomic.Int64
	removed  atomic.Bool
	drained  atomic.Bool // the drained event was sent
	cluster  *Cluster    // set by Cluster.Add

	// Health: hmu guards health; the atomics mirror it for the request
	// path (see health.go).
	hmu       sync.Mutex
	health    health.State
	status    atomic.Uint32 // health.Status
	retryAt   atomic.Int64  // unix ns; 0 when up
	checkDown atomic.Bool
	trial     atomic.Bool // a trial request holds the backend
	// recovering is set while a recovery probe runs (guarded by hmu);
	// gone is cancelled when the backend is removed, which ends it.
	recovering bool
	gone       context.Context
	markGone   context.CancelFunc

	mu      sync.Mutex
	idle    []*Conn // most recently used last
	maxIdle int

	h2  h2Pool                 // used by clusters with backend_protocol h2 or auto
	tls atomic.Pointer[tlsFor] // the TLS configuration of a TLS cluster's connections (clientTLS)
}

// NewBackend returns a backend for b that keeps at most maxIdle idle
// connections.
func NewBackend(b order.Backend, maxIdle int) *Backend {
	gone, markGone := context.WithCancel(context.Background())
	return &Backend{Config: b, Addr: b.Address, one: []string{b.Address}, maxIdle: maxIdle, gone: gone, markGone: markGone}
}

// StickyID is the sticky-session cookie value that selects b: its
// configured sticky id, else its id.
func (b *Backend) StickyID() string {
	if b.Config.StickyID != "" {
		return b.Config.StickyID
	}
	return b.Config.ID
}

// InFlight is the number of requests holding the backend now.
func (b *Backend) InFlight() int64 { return b.inFlight.Load() }

// Removed reports whether the backend was taken out of its cluster.
func (b *Backend) Removed() bool { return b.removed.Load() }

// Acquire counts a request starting on b; Release counts it done.
func (b *Backend) Acquire() {
	b.inFlight.Add(1)
	if b.M != nil {
		b.M.InFlight.Inc()
	}
}

// Release counts a request done. The last release of a removed backend
// sends the drained event.
func (b *Backend) Release() {
	if b.M != nil {
		b.M.InFlight.Dec()
	}
	if b.inFlight.Add(-1) == 0 && b.removed.Load() {
		b.sendDrained()
	}
}

// sendDrained sends the drained event once.
func (b *Backend) sendDrained() {
	if b.cluster != nil && b.drained.CompareAndSwap(false, true) {
		env := b.cluster.env
		env.Events(env.event(order.BackendDrained, b.cluster.ID, b, ""))
	}
}

// Conn is a connection to a backend, owned by one request at a time.
type Conn struct {
	net.Conn
	Backend *Backend
	// Reused is true when the connection came from the idle pool, so a
	// failure before any response byte may mean the server closed it while
	// idle.
	Reused bool
	// ConnectTime is how long the connect took; 0 for a pooled connection
	// (Reused).
	ConnectTime time.Duration
	idleSince   time.Time
	tlsBase     *tls.Config // the cluster's TLS settings it was made under (nil: plain)
	probe       *probe      // made when the connection is first pooled, where raw is not ready
	raw         sock.Conn   // Read, Write and WriteRead: raw system calls where it can
}

// Read reads from the connection like net.Conn's Read, with raw system
// calls where the platform has them (package internal/sock).
func (c *Conn) Read(p []byte) (int, error) { return c.raw.Read(p) }

// Write writes p whole like net.Conn's Write, with raw system calls where
// the platform has them.
func (c *Conn) Write(p []byte) (int, error) { return c.raw.Write(p) }

// WriteRead writes a request whole, then reads the first bytes of the
// answer into in: one wait, and no read before the answer can have come
// (see sock.Conn.WriteRead). Only for a request sent whole, with nothing
// else writing meanwhile. writing tells whether err came from the write
// (then nothing was read). The connection's deadlines apply.
func (c *Conn) WriteRead(out, in []byte) (n int, writing bool, err error) {
	return c.raw.WriteRead(out, in)
}

// SetDeadline sets both deadlines of the connection, as net.Conn's, for
// Read, Write and WriteRead; over plain TCP the socket is told lazily
// (see package internal/sock): whoever goes on with the socket itself
// (a tunnel's relay) takes it through Bare.
func (c *Conn) SetDeadline(t time.Time) error { return c.raw.SetDeadline(t) }

// SetReadDeadline is SetDeadline for reads.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// SetWriteDeadline is SetDeadline for writes.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// Bare is the connection itself (a *net.TCPConn over plain TCP, for
// splice), its deadlines set as asked: for a caller that reads and writes
// it directly from now on, without c's methods.
func (c *Conn) Bare() net.Conn {
	c.raw.Settle()
	return c.Conn
}

// alive probes a pooled connection without blocking.
func (c *Conn) alive() bool {
	if c.raw.Ready() {
		return c.raw.Quiet()
	}
	if c.probe == nil {
		c.probe = newProbe(c.socket())
	}
	return c.probe.alive()
}

// Dial opens a new connection to b within timeout (to its latest resolved
// addresses when Addr names a host, the next one on a failed connect),
// with the TLS handshake (within another timeout) when b's cluster speaks
// TLS to its backends (see tls.go). The connection has
// TCP_NODELAY set (Go's default) and no TCP keep-alive probes: the proxy's
// idle timeouts bound it. Its outcome feeds b's passive health (and ends a
// trial the caller holds); a dial cut short by ctx counts for nothing.
func (b *Backend) Dial(ctx context.Context, timeout time.Duration) (*Conn, error) {
	bc, err := b.connect(ctx, timeout)
	if err == nil {
		if err = b.secure(ctx, bc, timeout); err != nil {
			bc = nil
		}
	}
	return bc, err
}

// connect is Dial without TLS: the TCP connection alone.
func (b *Backend) connect(ctx context.Context, timeout time.Duration) (*Conn, error) {
	// Not Dialer.DialTCP: its zero local address still binds the socket,
	// a system call and a port search per connection.
	d := net.Dialer{Timeout: timeout, KeepAlive: -1}
	start := time.Now()
	c, err := b.dialAny(ctx, &d)
	took := time.Since(start)
	b.countConnect(took, err)
	if err != nil {
		if ctx.Err() != nil {
			b.trial.Store(false)
		} else if b.cluster != nil {
			b.connectFailed()
		}
		return nil, err
	}
	if b.cluster != nil {
		b.connectSucceeded()
	}
	bc := &Conn{Conn: c, Backend: b, ConnectTime: took}
	bc.raw.Init(c)
	return bc, nil
}

// countConnect records a connect's duration and failure in the metrics of
// b and its cluster.
func (b *Backend) countConnect(d time.Duration, err error) {
	var cm *metrics.Cluster
	if b.cluster != nil {
		cm = b.cluster.M
	}
	if b.M != nil {
		b.M.ConnectTime.Observe(d)
		if err != nil {
			b.M.ConnectErrors.Inc()
		}
	}
	if cm != nil {
		cm.ConnectTime.Observe(d)
		if err != nil {
			cm.Errors[metrics.BackendConnect].Inc()
		}
	}
}

// peekAfter is how long a pooled connection must have been idle before
// GetIdle peeks at it. Servers close idle keep-alive connections after
// seconds, so a connection idle for less is almost always alive, and the
// peek (a syscall per request under load) is skipped; if it died anyway, a
// replayable request is sent again and a non-replayable one never uses the
// pool.
const peekAfter = 500 * time.Millisecond

// GetIdle returns a pooled connection that is still open and was idle for
// less than maxIdleTime, or nil. Connections found dead (peeked at when
// idle for peekAfter or more) or expired are closed.
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
		idle := now.Sub(c.idleSince)
		if idle < maxIdleTime && b.sameTLS(c) && (idle < peekAfter || c.alive()) {
			c.Reused, c.ConnectTime = true, 0
			return c
		}
		c.Conn.Close()
	}
}

// PutIdle returns a connection whose last exchange ended cleanly to the
// pool; it is closed instead when the backend was removed, the pool is
// full, or the cluster's TLS settings changed since it was made.
func (b *Backend) PutIdle(c *Conn, now time.Time) {
	if b.removed.Load() || b.maxIdle <= 0 || !b.sameTLS(c) {
		c.Conn.Close()
		return
	}
	c.idleSince = now
	if c.probe == nil {
		c.probe = newProbe(c.socket()) // before the pool shares it
	}
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

// remove marks b removed and closes its idle connections; if no request
// holds it, it is drained at once.
func (b *Backend) remove() {
	b.removed.Store(true)
	b.markGone()
	b.closeIdle()
	if b.inFlight.Load() == 0 {
		b.sendDrained()
	}
}

// closeIdle closes the pooled connections of a removed backend.
func (b *Backend) closeIdle() {
	b.closePool()
	b.closeH2(true)
}

// closePool closes the pooled HTTP/1.1 connections.
func (b *Backend) closePool() {
	b.mu.Lock()
	idle := b.idle
	b.idle = nil
	b.mu.Unlock()
	for _, c := range idle {
		c.Conn.Close()
	}
}
