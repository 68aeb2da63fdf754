package session

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/park"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/internal/sock"
	"github.com/sluiceproxy/sluice/metrics"
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

// Session is one client connection of an http listener.
type Session struct {
	env     *Env
	ln      *Listener
	conn    net.Conn
	release func()    // gives the connection's slot back; called once, by finish
	set     *Settings // settings of the exchange in progress

	sock   sock.Conn          // raw reads and writes, where ready (plain TCP on Linux)
	rc     syscall.RawConn    // nil where raw reads are unavailable
	rawFn  func(uintptr) bool // s.rawRead, bound once
	rawN   int
	rawErr error

	state atomic.Int32
	// mu orders the moves into and out of parked and guards the park
	// fields below.
	mu           sync.Mutex
	parkKey      park.Key
	parkTimer    *time.Timer // created at the first park, reused after
	parkDeadline int64       // when a parked connection times out (mono)
	// idleSince is when the session last began to wait for a request
	// (mono), for the Reclaimer to find the longest waiting.
	idleSince atomic.Int64

	client netip.AddrPort // the client (its PROXY header's source when there is one)
	sni    string         // the server name a TLS client asked for

	// m is the accounting of the exchange in progress.
	m meter
	// proxyHdr is the client's PROXY protocol header, when the listener
	// expects one; it names the client in the header sent to send_proxy
	// clusters. Its TLVs are not kept.
	proxyHdr *proxyproto.Header

	bufp *[]byte // the pooled buffer behind buf, nil when buf is not pooled
	buf  []byte  // client read buffer; nil while parked
	r, w int     // buf[r:w] is read but not yet consumed
	outp *[]byte // pooled buffer for heads being written

	hs   *heads           // pooled; nil while parked
	req  *h1.Request      // &hs.req
	resp *h1.Response     // &hs.resp
	rx   responseExchange // the response side of the exchange in progress
	// backendConn is the backend connection of the exchange in progress, so
	// that a hard stop can cut it; holding is its backend, which counts
	// the request in flight (see hold).
	backendConn atomic.Pointer[backend.Conn]
	holding     *backend.Backend
	// stickyMatch is the backend the request's cookie named, when it is
	// the one picked (no Set-Cookie is then needed).
	stickyMatch *backend.Backend
	cookieFor   string // sticky id the response's Set-Cookie pins, or ""
	// dial is how the exchange in progress connects (its funcs bound once
	// per session); dialCluster is the cluster it connects to.
	dial        backend.Dial
	dialCluster *backend.Cluster
	// tlsCert is the certificate served on a TLS connection (nil on plain
	// ones); hstsFrom holds the HSTS header of the exchange in progress
	// (the cluster's settings, or nil: then the listener's applies).
	tlsCert  *cert.Cert
	hstsFrom *backend.Settings

	// The small fields, together so that the struct has no padding (a
	// parked connection costs its Session: TestSessionSize).
	id         [idLen]byte
	tlsVersion uint16 // of a TLS connection, for the access log
	woken      bool   // the poller just woke the session: do not park before reading
	// sticky is set when the exchange's cluster has sticky sessions.
	sticky bool
	// head is set when the current request is a HEAD. It is kept apart
	// because s.req's slices alias s.buf, which a body upload reuses.
	head bool
	// hasID is set once the current request has an id (for panic logs).
	hasID bool
	first bool
}

// Serve serves conn until it closes or parks. It returns when the
// connection is done or parked between requests with no goroutine of its
// own (it is then served again, in a new goroutine, when bytes arrive). The
// caller owns the goroutine and waits for it; release is called exactly
// once, when the connection has closed, possibly after Serve returned and
// from another goroutine. When the listener expects the PROXY protocol,
// Serve reads the header from conn first.
func Serve(env *Env, ln *Listener, conn net.Conn, release func()) {
	serve(&Session{env: env, ln: ln, conn: conn, release: release, first: true}, nil)
}

// ServeProxied is Serve for conn, whose PROXY protocol header hdr was read
// before (see ReadProxyHeader).
func ServeProxied(env *Env, ln *Listener, conn net.Conn, hdr *proxyproto.Header, release func()) {
	serve(&Session{env: env, ln: ln, conn: conn, release: release, first: true}, hdr)
}

// serve runs s, whose env, ln, conn, release (and tlsCert for TLS) are
// set; hdr is a PROXY protocol header read before, or nil.
func serve(s *Session, hdr *proxyproto.Header) {
	env, ln, conn, release := s.env, s.ln, s.conn, s.release
	// Before track: from then on the listener may close s from another
	// goroutine (closeConn), which uses s.sock.
	if s.sock.Init(conn) {
		s.rc = s.sock.RawConn()
		s.rawFn = s.rawRead
	} else if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s.rc = rc
			s.rawFn = s.rawRead
		}
	}
	if !ln.track(s) {
		conn.Close()
		release()
		return
	}
	env.Active.Add(1)
	s.client = peerAddr(conn)
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
	s.dial.Failed, s.dial.Retried = s.dialFailed, s.m.retried
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
			if s.hasID {
				id = string(s.id[:])
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
	s.ln.untrack(s)
	s.releaseBuf()
	s.releaseOut()
	s.releaseHeads()
	s.env.Active.Add(-1)
	if lm := s.ln.M; lm != nil {
		lm.ConnectionsActive.Dec()
	}
	s.release()
}

// abort closes the client connection and the backend connection of the
// exchange in progress, if any.
func (s *Session) abort() {
	if s.closeIfIdle() {
		return
	}
	s.closeConn()
	if bc := s.backendConn.Load(); bc != nil {
		bc.Close()
	}
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
		keep := s.exchange()
		s.account()
		if !keep {
			return false
		}
		if s.ln.conns.Closing() {
			return false
		}
		if s.r == s.w {
			s.releaseOut()
		}
	}
}

func (s *Session) acquireBuf() {
	if s.buf == nil {
		s.bufp = s.env.getBuf()
		s.buf = *s.bufp
	}
}

func (s *Session) releaseBuf() {
	if s.bufp != nil {
		s.env.putBuf(s.bufp)
	}
	s.bufp, s.buf = nil, nil
	s.r, s.w = 0, 0
}

// heads holds a request and a response head with their field arrays; it is
// pooled so that a parked connection does not keep them.
type heads struct {
	req  h1.Request
	resp h1.Response
	// logBuf keeps the access log fields of the request (method, host,
	// target, user agent, end to end); logMethod, logHost and logTarget
	// are the ends of the first three; entry is the line being logged.
	logBuf                        []byte
	logMethod, logHost, logTarget int
	entry                         accesslog.Entry
}

func (s *Session) acquireHeads() {
	if s.hs == nil {
		s.hs = s.env.heads.Get().(*heads)
		s.req, s.resp = &s.hs.req, &s.hs.resp
	}
}

func (s *Session) releaseHeads() {
	if s.hs != nil {
		s.hs.req.Reset()
		s.hs.resp.Reset()
		s.env.heads.Put(s.hs)
		s.hs, s.req, s.resp = nil, nil, nil
	}
}

func (s *Session) out() []byte {
	if s.outp == nil {
		s.outp = s.env.getBuf()
	}
	return (*s.outp)[:0]
}

func (s *Session) releaseOut() {
	if s.outp != nil {
		s.env.putBuf(s.outp)
		s.outp = nil
	}
}

var errClosing = errors.New("session: listener closing")

// errParked reports that waitData handed the connection to the poller.
var errParked = errors.New("session: parked")

// waitData waits until the client sends bytes, holding no buffer while it
// waits, and reads them into a fresh buffer. A wait longer than the Env's
// ParkAfter parks the connection (errParked): the goroutine must then
// return without touching s.
func (s *Session) waitData(deadline time.Time) error {
	s.releaseBuf()
	s.releaseOut()
	s.releaseHeads()
	s.state.Store(idle)
	if s.ln.conns.Closing() {
		return errClosing
	}
	if s.rc != nil {
		wait := deadline
		// Right after a wake the bytes are there: read them before any
		// deadline check could park the connection again.
		canPark := s.env.park != nil && !s.woken && s.env.ParkAfter >= 0 && time.Until(deadline) > s.env.ParkAfter
		s.woken = false
		if canPark {
			wait = time.Now().Add(s.env.ParkAfter)
		}
		if err := s.conn.SetReadDeadline(wait); err != nil {
			return err
		}
		err := s.rawWait()
		if err != nil && canPark && isTimeout(err) {
			if parkErr := s.park(deadline); parkErr == nil {
				return errParked
			} else if parkErr == errClosing {
				return parkErr
			}
			// The poller refused: wait here for the rest of the time.
			if err = s.conn.SetReadDeadline(deadline); err == nil {
				err = s.rawWait()
			}
		}
		if err != nil {
			return err
		}
	} else {
		if err := s.conn.SetReadDeadline(deadline); err != nil {
			return err
		}
		s.acquireBuf()
		n, err := s.conn.Read(s.buf)
		if n == 0 && err != nil {
			return err
		}
		s.w = n
	}
	if !s.state.CompareAndSwap(idle, busy) {
		return errClosing
	}
	return nil
}

// closeConn closes the client connection, sending its FIN first with a
// raw call where it can (sock.Conn.Shutdown).
func (s *Session) closeConn() {
	s.sock.Shutdown()
	s.conn.Close()
}

// rawWait waits through the raw connection until bytes arrive and reads
// them into a fresh buffer.
func (s *Session) rawWait() error {
	s.rawN, s.rawErr = 0, nil
	if err := s.rc.Read(s.rawFn); err != nil {
		return err
	}
	if s.rawErr != nil {
		return s.rawErr
	}
	if s.rawN == 0 {
		return io.EOF
	}
	s.w = s.rawN
	return nil
}

// rawRead is called by the poller: it tries a non-blocking read and gives
// the buffer back when there is nothing to read, so a parked connection
// holds no buffer.
func (s *Session) rawRead(fd uintptr) bool {
	s.acquireBuf()
	n, again, err := sock.ReadFD(fd, s.buf)
	if again {
		s.releaseBuf()
		return false
	}
	if err == io.EOF {
		err = nil // rawWait reports n == 0 as io.EOF
	}
	s.rawN, s.rawErr = n, err
	return true
}

// readHead reads and parses the next request head into s.req. It answers
// and reports !ok when the connection must close or has parked.
func (s *Session) readHead() (ok, isParked bool) {
	set := s.set
	if s.r == s.w {
		wait := set.KeepAliveTimeout
		if s.first {
			wait = set.RequestTimeout
		} else if wait <= 0 {
			wait = set.FrontTimeout
		}
		now := time.Now()
		s.idleSince.Store(mono(now))
		if err := s.waitData(now.Add(wait)); err != nil {
			return false, err == errParked
		}
	}
	s.acquireHeads()
	headDeadline := time.Now().Add(set.RequestTimeout)
	deadlineSet := false
	for {
		s.req.Reset()
		_, err := h1.ParseRequest(s.buf[s.r:s.w], s.req, set.Limits)
		s.head = string(s.req.Method) == "HEAD"
		if err == nil {
			return true, false
		}
		if err != h1.ErrIncomplete {
			status := 400
			var pe *h1.Error
			if errors.As(err, &pe) {
				status = pe.Status
			}
			s.newID()
			s.beginRejected(metrics.ClientParse)
			s.answer(status, nil, true, nil)
			s.account()
			s.env.Log.Debug("bad request", "request_id", string(s.id[:]), "listener", s.ln.Addr,
				"client", s.client.Addr().String(), "error", err)
			return false, false
		}
		if !s.makeRoom(set.Limits) {
			return false, false
		}
		if !deadlineSet {
			if s.conn.SetReadDeadline(headDeadline) != nil {
				return false, false
			}
			deadlineSet = true
		}
		n, err := s.sock.Read(s.buf[s.w:])
		s.w += n
		if err != nil && n == 0 {
			if isTimeout(err) {
				s.newID()
				s.beginRejected(metrics.ClientTimeout)
				s.answer(408, nil, true, nil)
				s.account()
			}
			return false, false
		}
	}
}

// makeRoom makes space after s.w for more of a head: it moves unread bytes
// to the front, or moves to a buffer big enough for the head limit.
func (s *Session) makeRoom(lim h1.Limits) bool {
	if s.w < len(s.buf) {
		return true
	}
	if s.r > 0 {
		n := copy(s.buf, s.buf[s.r:s.w])
		s.r, s.w = 0, n
		return true
	}
	max := lim.MaxHeadBytes
	if max <= 0 {
		max = 32 << 10
	}
	if len(s.buf) > max {
		return false // the parser has answered 431 already
	}
	big := make([]byte, max+1024)
	n := copy(big, s.buf[s.r:s.w])
	s.releaseBuf()
	s.buf, s.r, s.w = big, 0, n
	return true
}

func (s *Session) newID() {
	s.env.nextID(&s.id)
	s.hasID = true
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
