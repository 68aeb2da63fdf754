package listener

import (
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/guard"
	"github.com/sluiceproxy/sluice/internal/connset"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/rewrite"
	"github.com/sluiceproxy/sluice/router"
)

// Route is the target of an http frontend: a cluster, or a denial.
type Route struct {
	Cluster *backend.Cluster // nil when Deny (and for a redirect frontend without one)
	Deny    bool

	// Traffic policy (policy-guard): the frontend's guards, nil when
	// not configured.
	Auth  *guard.Auth
	Limit *guard.Limiter
	// Rewrite is the frontend's compiled redirect, rewrites and header
	// edits (issue 16), or nil when it has none.
	Rewrite *rewrite.Frontend
}

// Settings is an immutable snapshot of an http or https listener's
// settings, with defaults applied.
type Settings struct {
	FrontTimeout   time.Duration // idle client connection
	BackTimeout    time.Duration // silent backend while a response is awaited or streamed
	ConnectTimeout time.Duration // backend connect
	RequestTimeout time.Duration // whole request head, from its first byte
	Limits         h1.Limits
	Answers        *answer.Set // the listener's replacement answers, or nil
	Proto          string      // "http" or "https", for X-Forwarded-Proto
	StickyName     string      // sticky-session cookie name; DefaultStickyName if empty
	// ExpectProxy requires a PROXY protocol header (v1 or v2) before the
	// first request, within RequestTimeout.
	ExpectProxy bool
	// TunnelTimeout is the idle timeout of an upgraded connection (a
	// WebSocket tunnel), on each side.
	TunnelTimeout time.Duration
	// MaxBodyBytes bounds a request body; 0 is no limit.
	MaxBodyBytes int64
	// HSTS is the listener's Strict-Transport-Security header line (CRLF
	// included), or nil; sent only on TLS connections.
	HSTS []byte
	// KeepAliveTimeout is how long a client connection may wait for its
	// next request after a response, until the request's first byte; 0
	// means FrontTimeout.
	KeepAliveTimeout time.Duration

	// Routing and rewrites (issue 16, policy-route).

	// XRealIP sets X-Real-IP to the client's IP on requests to backends.
	XRealIP bool
	// RequestIDName is the name of the request id field, lowercase in
	// RequestIDLower; nil for the default (Sluice-Request-Id).
	RequestIDName, RequestIDLower []byte
}

// DefaultStickyName is the sticky-session cookie name of listeners that set
// none.
const DefaultStickyName = "SLUICEBALANCEID"

// CookieName is the sticky-session cookie name: StickyName, or
// DefaultStickyName.
func (s *Settings) CookieName() string {
	if s.StickyName == "" {
		return DefaultStickyName
	}
	return s.StickyName
}

// Conn is an open client connection of an http or https listener, as the
// listener sees it: something to close when it drains or stops. Each
// protocol front (HTTP/1.1 sessions, HTTP/2 connections) implements it.
type Conn interface {
	// CloseIfIdle closes the connection if it is between requests and
	// reports whether it did; a busy one is left to finish its exchange.
	CloseIfIdle() bool
	// Abort closes the connection and its backend connections now.
	Abort()
	// Waiting reports whether the connection waits for a request (the
	// next one, or its first), and since when (Mono), for a Reclaimer.
	Waiting() (since int64, ok bool)
}

// HTTP is what the protocol fronts of one http or https listener share:
// its settings and routing table (immutable snapshots the proxy swaps
// atomically; an exchange keeps the ones it started with) and the set of
// its open connections, so that draining and stopping the listener reach
// them. Its methods are safe for concurrent use.
type HTTP struct {
	Addr string
	// M counts the listener's traffic; nil when the proxy keeps no
	// metrics. Set before the listener accepts.
	M    *metrics.Listener
	port string
	by   string // the listener's IP as a Forwarded "by=" node

	settings atomic.Pointer[Settings]
	routes   atomic.Pointer[router.Table[*Route]]

	conns connset.Set[Conn] // the open connections; closing while draining
}

// NewHTTP returns the shared state of the http or https listener on addr.
func NewHTTP(addr string, s *Settings) *HTTP {
	l := &HTTP{Addr: addr}
	host, port, _ := net.SplitHostPort(addr)
	l.port = port
	l.by = ForwardedNode(host)
	l.settings.Store(s)
	l.routes.Store(router.New[*Route]())
	return l
}

// Settings returns the current settings.
func (l *HTTP) Settings() *Settings { return l.settings.Load() }

// SetSettings publishes new settings for the next requests.
func (l *HTTP) SetSettings(s *Settings) { l.settings.Store(s) }

// Routes returns the current routing table.
func (l *HTTP) Routes() *router.Table[*Route] { return l.routes.Load() }

// SetRoutes publishes a new routing table for the next requests.
func (l *HTTP) SetRoutes(t *router.Table[*Route]) { l.routes.Store(t) }

// Port is the listener's port, for X-Forwarded-Port.
func (l *HTTP) Port() string { return l.port }

// ByNode is the listener's IP as a Forwarded "by=" node.
func (l *HTTP) ByNode() string { return l.by }

// Closing reports whether the listener is draining.
func (l *HTTP) Closing() bool { return l.conns.Closing() }

// Track adds an open connection; false when the listener was stopped hard
// (the caller then closes it). A draining listener still takes it: a
// connection accepted before the listener stopped accepting is answered
// its first request (with Connection: close).
func (l *HTTP) Track(c Conn) bool { return l.conns.Add(c) }

// Untrack removes a closed connection.
func (l *HTTP) Untrack(c Conn) { l.conns.Remove(c) }

// Conns is the number of open connections.
func (l *HTTP) Conns() int { return l.conns.Len() }

// Snapshot lists the open connections.
func (l *HTTP) Snapshot() []Conn { return l.conns.Snapshot() }

// Range calls f for each open connection, under the set's lock: f must be
// quick and must not close anything (see connset.Set.Range).
func (l *HTTP) Range(f func(Conn)) { l.conns.Range(f) }

// Drain makes the listener's connections finish their exchanges in flight
// and close; those between requests close at once. A connection that has
// not sent its first request yet is not closed (its client could not tell
// that from a failure): it is answered, with Connection: close, when its
// Conn tells the two apart (BetweenRequests). The proxy calls Drain when
// the listener is removed or deactivated, and at a soft stop (an upgrade's
// included); it does not wait.
func (l *HTTP) Drain() {
	l.conns.SetClosing(true)
	for _, c := range l.conns.Snapshot() {
		if b, ok := c.(BetweenRequests); ok {
			b.CloseBetweenRequests()
		} else {
			c.CloseIfIdle()
		}
	}
}

// BetweenRequests is a Conn that tells a connection waiting for its next
// request from one waiting for its first.
type BetweenRequests interface {
	// CloseBetweenRequests closes the connection if it is idle after at
	// least one exchange, and reports whether it did.
	CloseBetweenRequests() bool
}

// Reopen undoes Drain for a listener activated again.
func (l *HTTP) Reopen() { l.conns.SetClosing(false) }

// CloseAll closes every connection, to the clients and to the backends,
// now (hard stop).
func (l *HTTP) CloseAll() {
	for _, c := range l.conns.Stop() {
		c.Abort()
	}
}

// ForwardedNode formats an IP for the Forwarded header (RFC 7239 §6): IPv6
// addresses are bracketed and quoted; "" (every interface) and a host name
// (a listener on "localhost:8080"), which a node cannot be, are "unknown".
func ForwardedNode(ip string) string {
	if _, err := netip.ParseAddr(ip); err != nil {
		return "unknown"
	}
	for i := 0; i < len(ip); i++ {
		if ip[i] == ':' {
			return strconv.Quote("[" + ip + "]")
		}
	}
	return ip
}
