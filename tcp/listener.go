package tcp

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/connset"
	"github.com/sluiceproxy/sluice/metrics"
)

// Settings is an immutable snapshot of a tcp listener's settings, with
// defaults applied.
type Settings struct {
	// FrontTimeout is the client side's idle timeout: the relay ends when
	// nothing was read from or written to the client for that long.
	FrontTimeout time.Duration
	// BackTimeout is the backend side's idle timeout.
	BackTimeout time.Duration
	// ConnectTimeout bounds each backend connect.
	ConnectTimeout time.Duration
	// RequestTimeout bounds the reading of the PROXY protocol header, and
	// that of the ClientHello on a listener with server-name routes.
	RequestTimeout time.Duration
	// ExpectProxy requires a PROXY protocol header (v1 or v2) from clients.
	ExpectProxy bool
}

// Env is what every tcp session of a proxy shares. Its counters are read
// by status queries.
type Env struct {
	Log *slog.Logger
	// AccessLog receives a line per connection when it ends; nil writes
	// none (and nothing is measured for it). Set before the first
	// connection.
	AccessLog *accesslog.Logger
	Active    atomic.Int64 // open tcp client connections
	Panics    atomic.Int64 // sessions that panicked (and were closed)

	idPrefix [8]byte // random hex, in every connection id
	idSeq    atomic.Uint64
}

// NewEnv returns an Env logging to log, whose connection ids start with a
// random prefix.
func NewEnv(log *slog.Logger) *Env {
	e := &Env{Log: log}
	var r [4]byte
	_, _ = rand.Read(r[:])
	hex.Encode(e.idPrefix[:], r[:])
	return e
}

// Listener is what the sessions of one tcp listener share: its settings
// and its cluster (immutable snapshots swapped atomically by the proxy),
// and the set of its open sessions, for a hard stop.
type Listener struct {
	Addr string
	// M counts the listener's connections and bytes; nil when the proxy
	// keeps no metrics. Set before the listener accepts.
	M        *metrics.Listener
	settings atomic.Pointer[Settings]
	routes   atomic.Pointer[Routes]
	// Admit, when set, counts connections per client IP: a session asks
	// it once it knows its client (after the PROXY header, when the
	// listener expects one), is closed when refused, and gives the count
	// back when it ends. Set before the listener accepts.
	Admit Admitter

	conns connset.Set[*session] // the open sessions; closing while draining
}

// Admitter caps connections per client IP (listener.PerIP).
type Admitter interface {
	// Acquire counts a connection from ip, or reports false when ip has
	// too many.
	Acquire(ip netip.Addr) bool
	// Release gives back the count of an acquired connection.
	Release(ip netip.Addr)
}

// NewListener returns the shared state of the tcp listener on addr, with
// no cluster yet.
func NewListener(addr string, s *Settings) *Listener {
	l := &Listener{Addr: addr}
	l.settings.Store(s)
	return l
}

// Settings returns the current settings.
func (l *Listener) Settings() *Settings { return l.settings.Load() }

// SetSettings publishes settings for the next connections.
func (l *Listener) SetSettings(s *Settings) { l.settings.Store(s) }

// Routes returns the routing table of new connections (nil when the
// listener never had a frontend).
func (l *Listener) Routes() *Routes { return l.routes.Load() }

// SetRoute sends new connections with the server name hostname (a
// normalised order.TCPFrontend hostname; "" is the default route) to c;
// nil removes the route. Open connections keep their backend. Calls must
// not run concurrently (the proxy makes them from its one apply loop).
func (l *Listener) SetRoute(hostname string, c *backend.Cluster) {
	l.routes.Store(l.routes.Load().With(hostname, c))
}

// Drain makes the listener refuse connections it has accepted but not
// started serving; open relays go on until they end. The proxy calls it
// when the listener is removed or deactivated, after closing the socket.
func (l *Listener) Drain() { l.conns.SetClosing(true) }

// Reopen undoes Drain for a listener activated again.
func (l *Listener) Reopen() { l.conns.SetClosing(false) }

// CloseAll closes every session's client and backend connections now
// (hard stop).
func (l *Listener) CloseAll() {
	for _, s := range l.conns.Stop() {
		s.stopped.Store(true)
		s.abort()
	}
}

// Sessions is the number of open client connections.
func (l *Listener) Sessions() int { return l.conns.Len() }

func (l *Listener) track(s *session) bool { return l.conns.Add(s) }

func (l *Listener) untrack(s *session) { l.conns.Remove(s) }
