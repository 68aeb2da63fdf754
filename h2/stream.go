package h2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// stream is one request of a connection and its exchange: the
// exchange.Front of the exchange, run by a worker. Streams are pooled by
// their Server and reused.
type stream struct {
	s  *Server
	c  *conn
	id uint32
	x  exchange.Exchange
	// rwake wakes a wait for the request body (the upload goroutine's,
	// or the worker's for a small body), swake a wait to send (the
	// worker's): both may wait at once. Each is buffered 1.
	rwake chan struct{}
	swake chan struct{}
	timer *time.Timer // bounds a wait (a small body, a closed window)
	bc    atomic.Pointer[backend.Conn]

	// The request head, filled by the reader before the stream starts;
	// the worker's afterwards.
	hbuf         []byte // names and values
	raw          []rawField
	method       span
	scheme       span
	path         span
	authority    span
	hasAuthority bool
	ncl          int   // content-length fields
	cl           int64 // the declared length; -1: none (or not one valid)
	tooBig       bool  // the header list passed its limit: 431
	endOnHeaders bool  // HEADERS ended the stream: no body
	fields       []h1.Header

	// Under the connection's lock.
	inMap      bool // open or half-closed: among conn.streams
	remoteDone bool // the client ended its side
	localDone  bool // the server ended its side
	cut        bool // reset (by either side) or the connection ended
	badBody    bool // the body broke its content-length
	discard    bool // body bytes are dropped as they come (StopBody, done)
	stopped    bool // StopBody: body reads fail
	in         []byte
	rd         int   // in[rd:] not yet read
	recvd      int64 // body bytes received
	recvWin    int64 // what the client may still send
	recvAck    int   // body bytes read, not yet granted back
	sendWin    int64
	waitWin    bool // waiting for a window
	waitOut    bool // waiting for room in conn.out
	ctx        context.Context
	cancel     context.CancelFunc

	// The worker's.
	began     bool  // a response head went out
	remaining int64 // body bytes a Length response still owes; -1 unsized
	hb        []byte
	scratch   []byte
	small     bool // the body was read whole before the request was served
	expect    bool // expect: 100-continue
	sent100   bool
}

// span is a string of stream.hbuf.
type span struct{ a, b int32 }

// rawField is a regular field of the request.
type rawField struct {
	name, value span
	kind        h1.HeaderKind
}

func newStream(s *Server) *stream {
	st := &stream{s: s, rwake: make(chan struct{}, 1), swake: make(chan struct{}, 1), timer: time.NewTimer(time.Hour)}
	st.timer.Stop()
	return st
}

// acquire takes a stream from the pool for stream id of c (under c.mu).
func (s *Server) acquire(c *conn, id uint32) *stream {
	st := s.pool.Get().(*stream)
	st.c, st.id = c, id
	st.cl = -1
	st.recvWin, st.sendWin = streamWindow, c.peerWin
	st.remaining = -1
	select {
	case <-st.rwake:
	default:
	}
	select {
	case <-st.swake:
	default:
	}
	return st
}

// release gives a stream back to the pool, keeping its buffers unless
// they grew large.
func (s *Server) release(st *stream) {
	if st.cancel != nil {
		st.cancel()
	}
	st.bc.Store(nil)
	st.x.Client = nil
	st.c, st.id = nil, 0
	st.hbuf, st.raw, st.fields, st.in, st.hb = st.hbuf[:0], st.raw[:0], st.fields[:0], st.in[:0], st.hb[:0]
	if cap(st.in) > 64<<10 {
		st.in = nil
	}
	if cap(st.hbuf) > 64<<10 {
		st.hbuf = nil
	}
	st.method, st.scheme, st.path, st.authority = span{}, span{}, span{}, span{}
	st.hasAuthority, st.ncl, st.cl, st.tooBig, st.endOnHeaders = false, 0, -1, false, false
	st.inMap, st.remoteDone, st.localDone, st.cut, st.badBody, st.discard, st.stopped = false, false, false, false, false, false, false
	st.rd, st.recvd, st.recvWin, st.recvAck, st.sendWin, st.waitWin, st.waitOut = 0, 0, 0, 0, 0, false, false
	st.ctx, st.cancel = nil, nil
	st.began, st.remaining, st.small, st.expect, st.sent100 = false, -1, false, false, false
	s.pool.Put(st)
}

func (st *stream) add(v []byte) span {
	a := len(st.hbuf)
	st.hbuf = append(st.hbuf, v...)
	return span{int32(a), int32(len(st.hbuf))}
}

func (st *stream) span(sp span) []byte { return st.hbuf[sp.a:sp.b:sp.b] }

// wakeUp wakes whoever waits on the stream: a change they check again.
func (st *stream) wakeUp() {
	select {
	case st.rwake <- struct{}{}:
	default:
	}
	select {
	case st.swake <- struct{}{}:
	default:
	}
}

// cutLocked ends the stream's exchange from outside: a reset or the
// connection's end. Its backend connection is closed, which ends every
// wait of the exchange on it, and its waits on the stream end.
func (st *stream) cutLocked() {
	if st.cut {
		return
	}
	st.cut = true
	if bc := st.bc.Load(); bc != nil {
		bc.Close()
	}
	if st.cancel != nil {
		st.cancel()
	}
	st.wakeUp()
}

// wait waits on wake (rwake or swake), with the connection's lock
// released, until the stream is woken or d (when > 0) has passed; it
// reports the latter. Only the worker waits with a d (the timer is its).
func (st *stream) wait(wake chan struct{}, d time.Duration) bool {
	c := st.c
	c.mu.Unlock()
	timedOut := false
	if d > 0 {
		st.timer.Reset(d)
		select {
		case <-wake:
		case <-st.timer.C:
			timedOut = true
		}
		st.timer.Stop()
	} else {
		<-wake
	}
	c.mu.Lock()
	return timedOut
}

// run serves the stream's request through the pipeline, then closes the
// stream and gives it back to the pool.
func (st *stream) run() {
	s, c := st.s, st.c
	x := &st.x
	x.Env, x.Ln, x.Client, x.BytesByConn = s.env, s.ln, &c.cl, true
	res := exchange.Broken
	defer func() {
		if v := recover(); v != nil {
			s.env.Log.Error("panic while serving an HTTP/2 stream", "request_id", string(x.ID[:]),
				"listener", s.ln.Addr, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			res = exchange.Broken
		}
		st.finish(res)
	}()
	x.Start()
	err := st.request()
	switch {
	case err == nil:
		res = x.Serve(st)
	case st.gone():
		res = exchange.Broken // the client reset the stream meanwhile
	case st.tooBig:
		res = x.Refused(st, 431, metrics.ClientParse)
	default:
		s.env.Log.Debug("bad request", "request_id", string(x.ID[:]), "listener", s.ln.Addr,
			"client", c.cl.Addr.Addr().String(), "error", err)
		res = x.Refused(st, 400, metrics.ClientParse)
	}
	x.Finish()
}

// gone reports a stream cut by a reset or the connection's end.
func (st *stream) gone() bool {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	return st.cut
}

// finish ends the stream after its exchange: a response that went out
// whole ends the stream (RST_STREAM(NO_ERROR) too when the client is still
// sending a body the exchange did not read), a broken one resets it.
func (st *stream) finish(res exchange.Result) {
	c := st.c
	c.mu.Lock()
	st.discard = true
	if !st.cut && st.inMap {
		switch {
		case res == exchange.Broken || !st.began || st.remaining > 0:
			c.resetLocked(st, codeInternal)
		case !st.localDone:
			c.out = appendFrameHeader(c.out, 0, frameData, flagEndStream, st.id)
			st.localDone = true
		}
		if st.inMap && !st.remoteDone {
			c.resetLocked(st, codeNo)
		}
		if st.inMap && st.remoteDone && st.localDone {
			c.removeLocked(st)
		}
	}
	c.flushLocked()
	c.removeLocked(st)
	if unread := len(st.in) - st.rd; unread > 0 {
		c.grantLocked(unread)
	}
	c.running--
	c.mu.Unlock()
	c.wg.Done()
	st.s.release(st)
}

// request fills the exchange's Request from the stream's head, applying
// the request line's grammar to the pseudo-header fields, which become the
// request line sent to an HTTP/1.1 backend: :method a token, :path in
// origin-form (or "*" for OPTIONS), :authority (or host) a valid host,
// and a host field, if any, naming the same authority (RFC 9113 §8.3.1).
func (st *stream) request() error {
	q := &st.x.Req
	if st.tooBig {
		return errTooBig
	}
	q.Method, q.Minor = st.span(st.method), 1
	if string(q.Method) != "CONNECT" { // CONNECT has no :path; the pipeline answers it
		if !h1.ValidMethod(q.Method) {
			return errBadMethod
		}
		if !validScheme(st.span(st.scheme)) {
			return errBadScheme
		}
		q.Target = st.span(st.path)
		path, err := h1.OriginTarget(q.Method, q.Target)
		if err != nil {
			return err
		}
		q.Path = path
	}
	var host []byte
	hosts := 0
	for i := range st.raw {
		if f := &st.raw[i]; f.kind == h1.HeaderHost {
			if hosts++; hosts == 1 {
				host = st.span(f.value)
			}
		}
	}
	q.Host = host
	if st.hasAuthority {
		q.Host = st.span(st.authority)
	}
	if !h1.ValidHost(q.Host) { // required, as Host is in HTTP/1.1
		return errBadAuthority
	}
	if hosts > 1 || hosts == 1 && !equalFold(host, q.Host) {
		return errHostMismatch
	}
	fs := st.fields[:0]
	for i := range st.raw {
		f := &st.raw[i]
		if f.kind == h1.HeaderHost {
			continue // :authority's, checked above
		}
		h := h1.Header{Name: st.span(f.name), Value: st.span(f.value), Kind: f.kind}
		// Field lines get HTTP/1.1's grammar too (RFC 9113 §8.2.1
		// makes surrounding whitespace malformed as well).
		if !h1.ValidFieldValue(h.Value) {
			return errBadField
		}
		if f.kind == h1.HeaderExpect && equalFold(h.Value, []byte("100-continue")) {
			st.expect = true
		}
		fs = append(fs, h)
	}
	st.fields, q.Fields = fs, fs
	q.ContentLength = -1
	if st.ncl > 0 {
		// One valid length, and none but 0 on a stream that ended with
		// its HEADERS.
		if st.ncl != 1 || st.cl < 0 || st.endOnHeaders && st.cl != 0 {
			return errBadLength
		}
		q.ContentLength = st.cl
	}
	q.Unsized = st.ncl == 0 && !st.endOnHeaders
	return st.readSmallBody()
}

var (
	errTooBig       = errors.New("h2: header list over the limit")
	errBadMethod    = errors.New("h2: invalid :method")
	errBadScheme    = errors.New("h2: invalid :scheme")
	errBadAuthority = errors.New("h2: invalid :authority")
	errHostMismatch = errors.New("h2: host field disagrees with :authority")
	errBadField     = errors.New("h2: invalid field value")
	errBadLength    = errors.New("h2: content-length not one valid length, or not the body's")
	errBodyTimeout  = errors.New("h2: body not received within request_timeout")
	errStopped      = errors.New("h2: request body no longer read")
)

// smallBody is the largest declared request body read whole before the
// backend is contacted.
const smallBody = 8 << 10

// readSmallBody waits for a body of a declared length up to smallBody,
// before the request is served, so that a body that disagrees with its
// content-length (shorter, longer, or DATA after content-length: 0) is
// refused without reaching a backend, and the request goes out in one
// write. It waits for it at most request_timeout. Larger bodies stream.
func (st *stream) readSmallBody() error {
	if st.endOnHeaders || st.cl < 0 || st.cl > smallBody {
		return nil
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for !st.remoteDone && !st.cut {
		st.continueLocked()
		if st.wait(st.rwake, st.x.Set.RequestTimeout) {
			return errBodyTimeout
		}
	}
	switch {
	case st.cut:
		return errGone
	case st.badBody:
		return errBadLength
	}
	st.small = true
	return nil
}

// continueLocked sends 100 (Continue) to a client that waits for it before
// its body: once, when the body is first waited for.
func (st *stream) continueLocked() {
	if !st.expect || st.sent100 || st.rd < len(st.in) || st.c.dead {
		return
	}
	st.sent100 = true
	st.c.appendHeadersLocked(st.id, appendStatus(nil, 100), false)
	st.c.kick()
}

func validScheme(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i, ch := range b {
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z':
		case i > 0 && ('0' <= ch && ch <= '9' || ch == '+' || ch == '-' || ch == '.'):
		default:
			return false
		}
	}
	return true
}

func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// consumedLocked grants n body bytes read by the exchange back to the
// client: to the connection's window, and to the stream's while the
// client still sends.
func (st *stream) consumedLocked(n int) {
	c := st.c
	st.x.CountIn(n)
	c.grantLocked(n)
	if st.remoteDone || c.dead {
		return
	}
	st.recvAck += n
	if st.recvAck >= streamWindow/4 {
		c.out = appendWindowUpdate(c.out, st.id, st.recvAck)
		st.recvWin += int64(st.recvAck)
		st.recvAck = 0
		c.kick()
	}
}

// InitialBody returns the body bytes received so far: a small body whole
// (see readSmallBody), or the start of a larger one, which then streams
// (ReadBody).
func (st *stream) InitialBody() ([]byte, bool, error) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	p := st.in[st.rd:]
	st.rd = len(st.in)
	st.consumedLocked(len(p))
	if st.badBody {
		return nil, false, exchange.ErrBadBody
	}
	return p, st.remoteDone, nil
}

// ReadBody reads the stream's DATA. A body that breaks its content-length
// fails the read (the reader has reset a longer one already): the
// exchange then ends at once.
func (st *stream) ReadBody(p []byte) (int, error) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case st.stopped:
			return 0, errStopped
		case st.badBody:
			return 0, exchange.ErrBadBody
		case st.rd < len(st.in):
			n := copy(p, st.in[st.rd:])
			st.rd += n
			if st.rd == len(st.in) {
				st.in, st.rd = st.in[:0], 0
			}
			st.consumedLocked(n)
			return n, nil
		case st.remoteDone:
			return 0, io.EOF
		case st.cut || c.dead:
			return 0, errGone
		}
		st.continueLocked()
		st.wait(st.rwake, 0)
	}
}

// StopBody makes a body read in progress, or the next one, fail; the
// body's bytes are dropped from then on.
func (st *stream) StopBody() {
	c := st.c
	c.mu.Lock()
	st.stopped, st.discard = true, true
	if unread := len(st.in) - st.rd; unread > 0 {
		c.grantLocked(unread)
		st.in, st.rd = st.in[:0], 0
	}
	st.wakeUp()
	c.mu.Unlock()
}

// TakesChunked: HTTP/2 has no chunked framing; bodies come decoded.
func (st *stream) TakesChunked() bool { return false }

// Context is done when the stream is reset or its connection ends. It is
// made on first use (exchanges with h2c backends).
func (st *stream) Context() context.Context {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.ctx == nil {
		st.ctx, st.cancel = context.WithCancel(context.Background())
		if st.cut {
			st.cancel()
		}
	}
	return st.ctx
}

// Holding records the exchange's backend connection, which a reset of the
// stream closes.
func (st *stream) Holding(bc *backend.Conn) {
	st.bc.Store(bc)
	if bc != nil && st.gone() {
		bc.Close() // reset before the connection was recorded
	}
}

// Tunnel is never asked of an HTTP/2 stream: its requests carry no
// Upgrade (the field is connection-specific there, and refused).
func (st *stream) Tunnel(bc *backend.Conn, h *exchange.Head, early []byte) {}

// WriteInterim relays 103 Early Hints; the server sends 100 (Continue)
// itself when the body is first waited for.
func (st *stream) WriteInterim(h *exchange.Head) error {
	if h.Status != 103 {
		return nil
	}
	b := appendStatus(st.hb[:0], h.Status)
	b, st.scratch = appendFields(b, st.scratch, h.Fields)
	st.hb = b
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.cut || c.dead {
		return errGone
	}
	c.appendHeadersLocked(st.id, b, false)
	c.flushLocked()
	return nil
}

// WriteHead writes the response head and the first body bytes: in one
// write when the windows let them go at once.
func (st *stream) WriteHead(h *exchange.Head, body []byte) error {
	b := appendStatus(st.hb[:0], h.Status)
	b, st.scratch = appendFields(b, st.scratch, h.Fields)
	if h.ContentLength >= 0 {
		b = appendContentLength(b, h.ContentLength)
	}
	st.hb = b
	end := h.Framing == exchange.NoBody || h.Framing == exchange.Length && h.ContentLength == 0
	st.remaining = -1
	if h.Framing == exchange.Length {
		st.remaining = h.ContentLength
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.cut || c.dead {
		return errGone
	}
	c.appendHeadersLocked(st.id, b, end)
	st.began = true
	var err error
	if end {
		st.endLocked()
	} else {
		err = st.sendLocked(body, false)
	}
	c.flushLocked()
	return err
}

// WriteBody writes body bytes as DATA frames within the windows.
func (st *stream) WriteBody(p []byte) error {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	err := st.sendLocked(p, false)
	c.flushLocked()
	return err
}

// EndBody ends an unsized body: with the trailers of an h2c backend as a
// last HEADERS frame, else an empty DATA frame, each with END_STREAM.
func (st *stream) EndBody(trailers []h1.Header) error {
	var b []byte
	if len(trailers) > 0 {
		b, st.scratch = appendFields(st.hb[:0], st.scratch, trailers)
		st.hb = b
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.localDone {
		return nil
	}
	if len(b) > 0 {
		if st.cut || c.dead {
			return errGone
		}
		c.appendHeadersLocked(st.id, b, true)
		st.endLocked()
		c.flushLocked()
		return nil
	}
	err := st.sendLocked(nil, true)
	c.flushLocked()
	return err
}

// endLocked notes that the server ended its side of the stream.
func (st *stream) endLocked() {
	st.localDone = true
	if st.remoteDone {
		st.c.removeLocked(st)
	}
}

// sendLocked queues p as DATA frames, END_STREAM on the last when end is
// set or when p completes a Length body. It waits while the stream's or
// the connection's window is closed (at most front_timeout without
// progress) and while the writer is behind.
func (st *stream) sendLocked(p []byte, end bool) error {
	c := st.c
	if st.localDone {
		return nil
	}
	if st.remaining >= 0 {
		if int64(len(p)) > st.remaining {
			p = p[:st.remaining]
		}
		if int64(len(p)) == st.remaining {
			end = true
		}
	}
	for len(p) > 0 || end {
		if st.cut || c.dead {
			return errGone
		}
		if len(c.out) >= maxPending {
			c.flushLocked()
			if len(c.out) < maxPending || st.cut || c.dead {
				continue
			}
			st.waitOut = true
			c.waitOut++
			timedOut := st.wait(st.swake, c.set.FrontTimeout)
			c.waitOut--
			st.waitOut = false
			if timedOut {
				return errGone
			}
			continue
		}
		n := int64(min(len(p), c.peerMax))
		n = min(n, c.sendWin, st.sendWin)
		if len(p) > 0 && n <= 0 {
			c.flushLocked() // what is queued goes while the stream waits
			st.waitWin = true
			timedOut := st.wait(st.swake, c.set.FrontTimeout)
			st.waitWin = false
			if timedOut {
				return errGone
			}
			continue
		}
		last := end && int(n) == len(p)
		flags := byte(0)
		if last {
			flags = flagEndStream
		}
		c.out = append(appendFrameHeader(c.out, int(n), frameData, flags, st.id), p[:n]...)
		c.sendWin -= n
		st.sendWin -= n
		if st.remaining > 0 {
			st.remaining -= n
		}
		st.x.CountOut(int(n))
		p = p[n:]
		if last {
			st.endLocked()
			return nil
		}
	}
	return nil
}
