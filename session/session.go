package session

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/park"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/internal/sock"
	"github.com/sluiceproxy/sluice/listener"
)

// Session states. The owner of a session is its goroutine while busy or
// idle; while parked it has no goroutine, and whoever moves it out of parked
// (a wake, its timeout, a close) owns it.
const (
	busy   int32 = iota // serving an exchange
	idle                // between requests, waiting in its goroutine
	parked              // between requests, watched by the Env's poller
	done                // closed
)

// Session is one client connection of an http listener (or an HTTP/1.1
// connection of an https one): what lives as long as the connection. What
// lives for one request is in hs, taken from a pool per request.
type Session struct {
	env     *Env
	ln      *listener.HTTP
	release func()             // gives the connection's slot back; called once, by finish
	set     *listener.Settings // settings of the request in progress

	// work is what the session holds while it has a goroutine (raw I/O
	// state, buffers, the request in progress); nil while parked, so that a
	// parked connection keeps only this record. Its fields are promoted:
	// s.buf is s.work.buf.
	*work

	rc syscall.RawConn // nil where raw reads are unavailable
	// prc is the socket parking watches: rc, or under TLS the raw
	// connection's (crypto/tls reads, the poller only watches); nil where
	// the connection cannot park.
	prc syscall.RawConn

	state atomic.Int32
	// spot is where the connection waits in the Env's poller while
	// parked; its lock orders the moves into and out of parked.
	spot park.Spot
	// idleSince is when the session last began to wait for a request
	// (listener.Mono), for the listener's Reclaimer to find the longest
	// waiting.
	idleSince atomic.Int64

	// cl is the connection as the exchanges see it (the client's address,
	// PROXY header, TLS certificate); cl.Conn is the connection.
	cl exchange.Client

	// backendConn is the backend connection of the exchange in progress,
	// so that a hard stop can cut it.
	backendConn atomic.Pointer[backend.Conn]
	// aborted is set by Abort: a backend connection the exchange takes
	// afterwards (a replay of a request whose pooled connection the hard
	// stop cut) is closed as soon as it is held.
	aborted atomic.Bool
	// bodyStop makes the body reads of the request in progress fail
	// (StopBody).
	bodyStop atomic.Bool

	woken bool // the poller just woke the session: do not park before reading
	first bool // no request was read yet
	// served is !first for other goroutines (a drain: see
	// CloseBetweenRequests).
	served atomic.Bool
	// keep is the fate the response head announced: the connection serves
	// another request.
	keep bool
}

// heads is what one request holds: its parsed head, its exchange and the
// state of its body, pooled so that a parked connection keeps none of it.
type heads struct {
	req    h1.Request
	x      exchange.Exchange
	body   body
	origin []byte // an absolute-form target reduced to origin-form
	out    []byte // response heads being written
}

// Serve serves conn until it closes or parks. It returns when the
// connection is done or parked between requests with no goroutine of its
// own (it is then served again, in a new goroutine, when bytes arrive). The
// caller owns the goroutine and waits for it; release is called exactly
// once, when the connection has closed, possibly after Serve returned and
// from another goroutine. When the listener expects the PROXY protocol,
// Serve reads the header from conn first.
func Serve(env *Env, ln *listener.HTTP, conn net.Conn, release func()) {
	serve(newSession(env, ln, conn, release), nil)
}

// ServeProxied is Serve for conn, whose PROXY protocol header hdr was read
// before (see ReadProxyHeader).
func ServeProxied(env *Env, ln *listener.HTTP, conn net.Conn, hdr *proxyproto.Header, release func()) {
	serve(newSession(env, ln, conn, release), hdr)
}

func newSession(env *Env, ln *listener.HTTP, conn net.Conn, release func()) *Session {
	s := &Session{env: env, ln: ln, release: release, first: true}
	s.cl.Conn = conn
	return s
}

// serve runs s, whose env, ln, cl.Conn, release (and the TLS fields for
// TLS) are set; hdr is a PROXY protocol header read before, or nil.
func serve(s *Session, hdr *proxyproto.Header) {
	env, ln, conn, release := s.env, s.ln, s.cl.Conn, s.release
	// Before Track: from then on the listener may close s from another
	// goroutine (CloseIfIdle, Abort), which uses s.rc.
	s.takeWork()
	if s.sock.Ready() {
		s.rc = s.sock.RawConn()
	} else if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s.rc = rc
		}
	}
	s.prc = s.rc
	if tc, ok := conn.(*tls.Conn); ok {
		if sc, ok := tc.NetConn().(syscall.Conn); ok {
			s.prc, _ = sc.SyscallConn()
		}
	}
	if !ln.Track(s) {
		conn.Close()
		release()
		return
	}
	env.Active.Add(1)
	s.cl.Addr = peerAddr(conn)
	if lm := ln.M; lm != nil {
		lm.ConnectionsAccepted.Inc()
		lm.ConnectionsActive.Inc()
	}
	if hdr != nil {
		s.useProxyHeader(hdr)
	} else if ln.Settings().ExpectProxy && !s.readProxyHeader() {
		s.finish()
		return
	}
	s.run()
}

// run serves requests until the connection closes or parks, recovering a
// panic into a closed connection.
func (s *Session) run() {
	isParked := false
	defer func() {
		if v := recover(); v != nil {
			s.env.Panics.Add(1)
			id := "none"
			if s.work != nil && s.hs != nil {
				id = string(s.hs.x.ID[:])
			}
			s.env.Log.Error("panic while serving a connection", "request_id", id,
				"listener", s.ln.Addr, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			isParked = false
		}
		if !isParked {
			s.finish()
		}
	}()
	isParked = s.loop()
}

// finish closes the connection and gives back everything it holds. It runs
// once, in whichever goroutine ends the session.
func (s *Session) finish() {
	s.state.Store(done)
	s.closeConn()
	s.ln.Untrack(s)
	s.dropWork()
	s.env.Active.Add(-1)
	if lm := s.ln.M; lm != nil {
		lm.ConnectionsActive.Dec()
	}
	s.release()
}

// Abort closes the client connection and the backend connection of the
// exchange in progress, if any (a hard stop).
func (s *Session) Abort() {
	if s.CloseIfIdle() {
		return
	}
	s.aborted.Store(true) // before the Load: see Holding
	s.closeConn()
	if bc := s.backendConn.Load(); bc != nil {
		bc.Close()
	}
}

// Waiting reports whether the session waits for a request, in its
// goroutine or parked, and since when.
func (s *Session) Waiting() (int64, bool) {
	if st := s.state.Load(); st != idle && st != parked {
		return 0, false
	}
	return s.idleSince.Load(), true
}

// loop serves requests one after the other. It reports true when the
// connection parked: s then belongs to the poller and must not be touched.
func (s *Session) loop() (isParked bool) {
	for {
		s.set = s.ln.Settings()
		ok, isParked := s.readHead()
		if !ok {
			return isParked
		}
		s.first = false
		s.served.Store(true)
		if !s.exchange() || s.ln.Closing() {
			return false
		}
	}
}

// exchange serves the request whose head was just parsed through the
// pipeline. It reports whether the connection serves another request.
func (s *Session) exchange() bool {
	hs := s.hs
	x := &hs.x
	s.request()
	res := x.Serve(s)
	x.Finish()
	if res == exchange.Unread {
		s.linger() // the client may still be sending its body
	}
	return s.keep && res == exchange.Complete
}

// request fills the exchange's Request from the parsed head and readies
// the body's reading.
func (s *Session) request() {
	hs := s.hs
	r, x := &hs.req, &hs.x
	q := &x.Req
	q.Method, q.Target, q.Path, q.Host = r.Method, r.Target, r.Path, r.Host
	if r.AbsoluteForm() {
		hs.origin = r.AppendOrigin(hs.origin[:0])
		q.Target = hs.origin
	}
	q.Fields, q.ContentLength, q.Unsized, q.Minor, q.HeadLen = r.Headers, r.ContentLength, r.Chunked, r.Minor, r.HeadLen
	q.Upgrade = nil
	if r.Upgrade {
		if v := upgradeValue(r.Headers); v != nil && !h1.ListContains(v, h2cToken) {
			q.Upgrade = v
		}
	}
	x.CountIn(r.HeadLen)
	s.r += r.HeadLen
	s.keep = false
	s.bodyStop.Store(false)
	hs.body.start(r)
}

var h2cToken = []byte("h2c")

// upgradeValue returns the value of the Upgrade field of hs, or nil.
func upgradeValue(hs []h1.Header) []byte {
	for i := range hs {
		if hs[i].Kind == h1.HeaderUpgrade {
			return hs[i].Value
		}
	}
	return nil
}

// acquireHeads takes the per-request state from the pool.
func (s *Session) acquireHeads() {
	if s.hs == nil {
		hs := s.env.heads.Get().(*heads)
		x := &hs.x
		x.Env, x.Ln, x.Client = s.env.X, s.ln, &s.cl
		s.hs = hs
	}
}

func (s *Session) releaseHeads() {
	if hs := s.hs; hs != nil {
		hs.req.Reset()
		hs.x.Client = nil
		s.env.heads.Put(hs)
		s.hs = nil
	}
}

// closeConn closes the client connection, sending its FIN first with a
// raw call where it can (sock.Conn.Shutdown).
func (s *Session) closeConn() {
	if s.rc != nil {
		sock.Shutdown(s.rc)
	}
	s.cl.Conn.Close()
}

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
