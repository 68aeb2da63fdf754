package h2

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
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
	// gone mirrors cut for Holding, which checks it without the
	// connection's lock: set before bc is loaded, read after it is stored.
	gone atomic.Bool

	// The request head, filled by the reader before the stream starts;
	// the worker's afterwards.
	hbuf         []byte // names and values
	raw          []rawField
	method       span
	scheme       span
	path         span
	authority    span
	protocol     span // :protocol of an extended CONNECT (RFC 8441)
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
	tunnel    bool // a WebSocket bridged from an extended CONNECT: DATA is the tunnel's (tunnel.go)
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
	st.gone.Store(false)
	st.x.Client = nil
	st.c, st.id = nil, 0
	st.hbuf, st.raw, st.fields, st.in, st.hb = st.hbuf[:0], st.raw[:0], st.fields[:0], st.in[:0], st.hb[:0]
	if cap(st.in) > 64<<10 {
		st.in = nil
	}
	if cap(st.hbuf) > 64<<10 {
		st.hbuf = nil
	}
	st.method, st.scheme, st.path, st.authority, st.protocol = span{}, span{}, span{}, span{}, span{}
	st.tunnel = false
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
	st.gone.Store(true)
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
