package session

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// Session states, for closing idle sessions from the outside.
const (
	busy int32 = iota
	idle
	done
)

// Session is one client connection of an http listener.
type Session struct {
	env  *Env
	ln   *Listener
	conn net.Conn
	set  *Settings // settings of the exchange in progress

	rc     syscall.RawConn    // nil where raw reads are unavailable
	rawFn  func(uintptr) bool // s.rawRead, bound once
	rawN   int
	rawErr error

	state atomic.Int32

	clientIP     string // for X-Forwarded-For
	forwardedFor string // for Forwarded: for=

	bufp *[]byte // the pooled buffer behind buf, nil when buf is not pooled
	buf  []byte  // client read buffer; nil while parked
	r, w int     // buf[r:w] is read but not yet consumed
	outp *[]byte // pooled buffer for heads being written

	hs   *heads           // pooled; nil while parked
	req  *h1.Request      // &hs.req
	resp *h1.Response     // &hs.resp
	rx   responseExchange // the response side of the exchange in progress
	// backendConn is the backend connection of the exchange in progress, so
	// that a hard stop can cut it.
	backendConn atomic.Pointer[backend.Conn]
	// head is set when the current request is a HEAD. It is kept apart
	// because s.req's slices alias s.buf, which a body upload reuses.
	head bool
	id   [idLen]byte
	// hasID is set once the current request has an id (for panic logs).
	hasID bool
	first bool
	// tlsCert is the certificate served on a TLS connection (nil on plain
	// ones); hsts is the HSTS header of the exchange in progress.
	tlsCert *cert.Cert
	hsts    []byte
}

// Serve serves conn until it closes. It returns when the connection is
// done; the caller owns the goroutine and waits for it.
func Serve(env *Env, ln *Listener, conn net.Conn) {
	serve(&Session{env: env, ln: ln, conn: conn, first: true})
}

func serve(s *Session) {
	env, ln, conn := s.env, s.ln, s.conn
	if !ln.track(s) {
		conn.Close()
		return
	}
	env.Active.Add(1)
	defer func() {
		if v := recover(); v != nil {
			env.Panics.Add(1)
			id := "none"
			if s.hasID {
				id = string(s.id[:])
			}
			env.Log.Error("panic while serving a connection", "request_id", id,
				"listener", ln.Addr, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
		s.state.Store(done)
		conn.Close()
		ln.untrack(s)
		s.releaseBuf()
		s.releaseOut()
		s.releaseHeads()
		env.Active.Add(-1)
	}()
	if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
		ip := ap.Addr().Unmap()
		s.clientIP = ip.String()
		s.forwardedFor = forwardedNode(s.clientIP)
	}
	if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s.rc = rc
			s.rawFn = s.rawRead
		}
	}
	s.loop()
}

// abort closes the client connection and the backend connection of the
// exchange in progress, if any.
func (s *Session) abort() {
	s.conn.Close()
	if bc := s.backendConn.Load(); bc != nil {
		bc.Close()
	}
}

// closeIfIdle closes the connection if it is parked between requests.
func (s *Session) closeIfIdle() {
	if s.state.CompareAndSwap(idle, done) {
		s.conn.Close()
	}
}

func (s *Session) loop() {
	for {
		s.set = s.ln.Settings()
		if !s.readHead() {
			return
		}
		s.first = false
		if !s.exchange() {
			return
		}
		if s.ln.closing.Load() {
			return
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

// waitData waits until the client sends bytes, holding no buffer while it
// waits, and reads them into a fresh buffer.
func (s *Session) waitData(deadline time.Time) error {
	s.releaseBuf()
	s.releaseOut()
	s.releaseHeads()
	s.state.Store(idle)
	if s.ln.closing.Load() {
		return errClosing
	}
	if err := s.conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	if s.rc != nil {
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
	} else {
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

// rawRead is called by the poller: it tries a non-blocking read and gives
// the buffer back when there is nothing to read, so a parked connection
// holds no buffer.
func (s *Session) rawRead(fd uintptr) bool {
	s.acquireBuf()
	for {
		n, err := syscall.Read(int(fd), s.buf)
		switch err {
		case nil:
			s.rawN = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			s.releaseBuf()
			return false
		default:
			s.rawErr = err
			return true
		}
	}
}

// readHead reads and parses the next request head into s.req. It answers
// and reports false when the connection must close.
func (s *Session) readHead() bool {
	set := s.set
	if s.r == s.w {
		wait := set.FrontTimeout
		if s.first {
			wait = set.RequestTimeout
		}
		if err := s.waitData(time.Now().Add(wait)); err != nil {
			return false
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
			return true
		}
		if err != h1.ErrIncomplete {
			status := 400
			var pe *h1.Error
			if errors.As(err, &pe) {
				status = pe.Status
			}
			s.newID()
			s.answer(status, nil, true, nil)
			s.env.Log.Debug("bad request", "request_id", string(s.id[:]), "listener", s.ln.Addr,
				"client", s.clientIP, "error", err)
			return false
		}
		if !s.makeRoom(set.Limits) {
			return false
		}
		if !deadlineSet {
			if s.conn.SetReadDeadline(headDeadline) != nil {
				return false
			}
			deadlineSet = true
		}
		n, err := s.conn.Read(s.buf[s.w:])
		s.w += n
		if err != nil && n == 0 {
			if isTimeout(err) {
				s.newID()
				s.answer(408, nil, true, nil)
			}
			return false
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
