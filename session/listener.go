package session

import (
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/connset"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/router"
)

// Route is the target of an http frontend: a cluster, or a denial.
type Route struct {
	Cluster *backend.Cluster // nil when Deny
	Deny    bool
}

// Settings is an immutable snapshot of a listener's settings, with defaults
// applied.
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
}

// CookieName is the sticky-session cookie name: StickyName, or
// DefaultStickyName.
func (s *Settings) CookieName() string {
	if s.StickyName == "" {
		return DefaultStickyName
	}
	return s.StickyName
}

// Listener is what the sessions of one listener share: its settings and
// routing table (immutable snapshots swapped atomically by the proxy) and the
// set of its open sessions, so that closing the listener can end the idle
// ones.
type Listener struct {
	Addr string
	// M counts the listener's traffic; nil when the proxy keeps no
	// metrics. Set before the listener accepts.
	M    *metrics.Listener
	port string
	byIP string // the listener's IP as Forwarded "by="

	settings atomic.Pointer[Settings]
	routes   atomic.Pointer[router.Table[*Route]]

	conns connset.Set[*Session] // the open sessions; closing while draining
}

// NewListener returns the shared state of the listener on addr.
func NewListener(addr string, s *Settings) *Listener {
	l := &Listener{Addr: addr}
	host, port, _ := net.SplitHostPort(addr)
	l.port = port
	l.byIP = ForwardedNode(host)
	l.settings.Store(s)
	l.routes.Store(router.New[*Route]())
	return l
}

// Settings returns the current settings.
func (l *Listener) Settings() *Settings { return l.settings.Load() }

// SetSettings publishes new settings for the next requests.
func (l *Listener) SetSettings(s *Settings) { l.settings.Store(s) }

// Port is the listener's port, for X-Forwarded-Port.
func (l *Listener) Port() string { return l.port }

// ByNode is the listener's IP as a Forwarded "by=" node.
func (l *Listener) ByNode() string { return l.byIP }

// Closing reports whether the listener is draining.
func (l *Listener) Closing() bool { return l.conns.Closing() }

// Routes returns the current routing table.
func (l *Listener) Routes() *router.Table[*Route] { return l.routes.Load() }

// SetRoutes publishes a new routing table for the next requests.
func (l *Listener) SetRoutes(t *router.Table[*Route]) { l.routes.Store(t) }

// Drain makes the listener's sessions finish their exchange in flight and
// close; idle ones close at once. The proxy calls it when the listener is
// removed or deactivated; it does not wait.
func (l *Listener) Drain() {
	l.conns.SetClosing(true)
	for _, s := range l.conns.Snapshot() {
		s.closeIfIdle()
	}
}

// Reopen undoes Drain for a listener activated again.
func (l *Listener) Reopen() { l.conns.SetClosing(false) }

// CloseAll closes every session's connections, to the client and to the
// backend, now (hard stop).
func (l *Listener) CloseAll() {
	for _, s := range l.conns.Snapshot() {
		s.abort()
	}
}

// Sessions is the number of open client connections.
func (l *Listener) Sessions() int { return l.conns.Len() }

func (l *Listener) track(s *Session) bool { return l.conns.Add(s) }

func (l *Listener) untrack(s *Session) { l.conns.Remove(s) }

// peerAddr is the connection's peer, IPv4-mapped addresses unmapped; the
// zero AddrPort when it is not TCP.
func peerAddr(c net.Conn) netip.AddrPort {
	if p, ok := c.(interface{ Peer() netip.AddrPort }); ok {
		return p.Peer() // a sock.Stream, without allocating
	}
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// appendClientIP appends the client's IP for X-Forwarded-For.
func appendClientIP(out []byte, c netip.AddrPort) []byte {
	if !c.IsValid() {
		return append(out, "unknown"...)
	}
	return c.Addr().AppendTo(out)
}

// appendForwardedNode appends the client as a Forwarded node (RFC 7239 §6):
// IPv6 addresses are bracketed and quoted.
func appendForwardedNode(out []byte, c netip.AddrPort) []byte {
	switch {
	case !c.IsValid():
		return append(out, "unknown"...)
	case c.Addr().Is6():
		out = append(out, `"[`...)
		out = c.Addr().AppendTo(out)
		return append(out, `]"`...)
	}
	return c.Addr().AppendTo(out)
}

// ForwardedNode formats an IP for the Forwarded header (RFC 7239 §6): IPv6
// addresses are bracketed and quoted; "" is "unknown".
func ForwardedNode(ip string) string {
	if ip == "" {
		return "unknown"
	}
	for i := 0; i < len(ip); i++ {
		if ip[i] == ':' {
			return strconv.Quote("[" + ip + "]")
		}
	}
	return ip
}
