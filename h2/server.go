// Package h2 is the HTTP/2 front of https listeners: a server of RFC 9113
// over the decrypted TLS connection (package handshake did the handshake
// and ALPN). Each stream is handed, as a protocol-neutral request, to the
// same pipeline as an HTTP/1.1 request (package exchange: the same
// decisions, header rewriting, backend pools, answers and accounting), and
// what the pipeline gives back is written as HTTP/2 frames.
//
// A connection has three kinds of goroutines: the one that called Serve
// reads and handles the client's frames (conn.go, read.go and the
// handlers of each kind of frame), a writer sends what is queued for the
// client (write.go), and each stream's exchange runs in a worker of the
// Server's (stream.go, run.go: the exchange's Front in request.go,
// body.go and respond.go), a goroutine that served an earlier stream when
// one waits. Streams and their exchanges are pooled: in steady
// state a stream allocates nothing.
package h2

import (
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/connset"
	"github.com/sluiceproxy/sluice/internal/park"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/internal/workers"
	"github.com/sluiceproxy/sluice/listener"
)

// Server serves the HTTP/2 connections of one https listener. Its methods
// are safe for concurrent use.
type Server struct {
	env   *exchange.Env
	ln    *listener.HTTP
	lim   Limits
	conns *sync.WaitGroup // the proxy's; counts the workers while they live

	// live is the open connections: draining and hard stops reach them
	// there. As for HTTP/1.1 and TCP, a connection joins while the
	// listener drains (it was accepted before the listener stopped
	// accepting, an upgrade's handover included) and is refused only after
	// a hard stop.
	live  connset.Set[*conn]
	pool  sync.Pool // *stream
	reads sync.Pool // *[readBufSize]byte, connections' read buffers
	// workers are the goroutines that served a stream and wait for the
	// next; retire, while it is armed (retiring), retires those not
	// needed every WorkerIdle.
	workers    *workers.Pool[*stream]
	retire     *time.Timer
	retiring   atomic.Bool
	workerIdle time.Duration // WorkerIdle (shorter in tests)

	parking Parking
	parks   atomic.Int64
}

// Parking is how a Server's idle connections wait (see park.go): a
// connection with no stream in flight whose client is silent for After
// parks in Poller, with no goroutine; nil Poller or a negative After:
// never. Idle connections wait in their goroutine then, as before.
type Parking struct {
	Poller *park.Poller
	After  time.Duration
}

// SetParking sets how idle connections wait; call it before serving.
func (s *Server) SetParking(p Parking) { s.parking = p }

// Parks is the number of times a connection of the Server parked.
func (s *Server) Parks() int64 { return s.parks.Load() }

// Workers: the goroutine that served a stream waits for the next one
// instead of ending, so that a stream is served on a stack that has grown
// already and without a goroutine's start (package workers; the same
// scheme as listener.Acceptor's). At most MaxIdleWorkers wait per Server;
// every WorkerIdle while some wait, those that were never all needed end,
// so that a worker left over from a burst ends within two WorkerIdle.
const (
	MaxIdleWorkers = 256
	WorkerIdle     = 10 * time.Second
)

// NewServer returns the HTTP/2 side of listener ln. conns counts the
// goroutines it starts that outlive a connection (its workers); the proxy
// waits for it.
func NewServer(env *exchange.Env, ln *listener.HTTP, lim Limits, conns *sync.WaitGroup) *Server {
	s := &Server{env: env, ln: ln, lim: lim.withDefaults(), conns: conns,
		workers: workers.New[*stream](MaxIdleWorkers), workerIdle: WorkerIdle}
	s.retire = time.AfterFunc(WorkerIdle, s.retireIdle)
	s.retire.Stop() // armed by the first worker to wait
	s.pool.New = func() any { return newStream(s) }
	s.reads.New = func() any { return new([readBufSize]byte) }
	return s
}

// readBufSize holds two frames of the largest size.
const readBufSize = 2 * (maxFrame + frameHeaderLen)

func (s *Server) getRead() []byte { return s.reads.Get().(*[readBufSize]byte)[:] }

func (s *Server) putRead(b []byte) { s.reads.Put((*[readBufSize]byte)(b)) }

// Serve serves an established TLS connection that negotiated "h2", with
// served the certificate of its handshake, until it is closed. hdr, when
// not nil, is the client's PROXY protocol header (its source, when it has
// addresses, is the client). It returns once the connection is closed and
// the exchanges of its streams are done, or once it parked with no
// goroutine of its own (it is then served again, in a new goroutine, when
// bytes arrive). release is called exactly once, when the connection has
// closed, possibly after Serve returned and from another goroutine.
func (s *Server) Serve(tc *tls.Conn, served *cert.Cert, hdr *proxyproto.Header, release func()) {
	st := tc.ConnectionState()
	cl := exchange.Client{Conn: tc, Addr: peerAddr(tc), Cert: served, TLSVersion: st.Version, SNI: st.ServerName}
	if hdr != nil {
		cl.ProxyHeader = hdr
		if hdr.HasAddrs() {
			cl.Addr = netip.AddrPortFrom(hdr.Source.Addr().Unmap(), hdr.Source.Port())
		}
	}
	s.serve(tc, tc.NetConn(), cl, release)
}

// serve serves nc (the decrypted stream of raw, or raw itself: tests and
// benchmarks use plain connections), cl the client as exchanges see it,
// as Serve does.
func (s *Server) serve(nc, raw net.Conn, cl exchange.Client, release func()) {
	c := newConn(s, nc, raw, cl, release)
	c.queuePreface()
	if lm := s.ln.M; lm != nil {
		lm.ConnectionsAccepted.Inc()
		lm.ConnectionsActive.Inc()
	}
	if !s.track(c) {
		_ = nc.Close()
		if lm := s.ln.M; lm != nil {
			lm.ConnectionsActive.Dec()
		}
		release()
		return
	}
	c.serve()
}

// errPanic ends a connection whose frame loop panicked.
var errPanic = errors.New("h2: panic in the frame loop")

// track adds c to the open connections unless a hard stop came first. A
// connection that joins while the listener drains is late: the Drain
// before it did not see it, so it answers its first stream and sends
// GOAWAY then (see onHeaders), as HTTP/1.1 answers its first request with
// Connection: close. c.late is set before the connection's goroutines
// start.
func (s *Server) track(c *conn) bool {
	if !s.live.Add(c) {
		return false
	}
	// Drain marks the listener closing before it lists the connections:
	// one that joined before the mark is on the list, one after sees it.
	c.late = s.ln.Closing()
	return true
}

func (s *Server) untrack(c *conn) { s.live.Remove(c) }

// Drain sends GOAWAY on the open connections: streams in flight finish,
// then each connection closes. A connection that joins later answers its
// first stream, then sends GOAWAY. It does not wait. The listener is
// marked closing before (listener.HTTP.Drain).
func (s *Server) Drain() {
	for _, c := range s.live.Snapshot() {
		c.drain()
	}
	s.endIdleWorkers()
}

// CloseAll closes every connection and the backend connections of their
// streams now (hard stop); connections that come after it are refused
// until Reopen.
func (s *Server) CloseAll() {
	for _, c := range s.live.Stop() {
		c.abort()
	}
	s.endIdleWorkers()
}

// Reopen undoes CloseAll for a listener activated again.
func (s *Server) Reopen() { s.live.SetClosing(false) }

// endIdleWorkers makes the workers waiting for a stream end. The listener
// is marked closing before: a worker that finishes later ends too.
func (s *Server) endIdleWorkers() { s.workers.EndIdle() }

// start runs st's exchange in a worker: one waiting, else a new one.
func (s *Server) start(st *stream) {
	if s.workers.Hand(st) {
		return
	}
	s.conns.Add(1)
	go s.worker(st)
}

// armRetire arms the retiring of idle workers, if it is not: a worker
// about to wait calls it.
func (s *Server) armRetire() {
	if s.retiring.Load() || !s.retiring.CompareAndSwap(false, true) {
		return
	}
	s.retire.Reset(s.workerIdle)
}

// retireIdle ends the idle workers not needed since its last run (in the
// timer's goroutine) and runs again after WorkerIdle while some wait.
func (s *Server) retireIdle() {
	if s.workers.Retire() > 0 {
		s.retire.Reset(s.workerIdle)
		return
	}
	s.retiring.Store(false)
	if s.workers.Idle() > 0 { // one came to wait meanwhile and found it armed
		s.armRetire()
	}
}

// worker serves st, then the streams handed to it, until it is retired,
// MaxIdleWorkers others wait, or the listener closes. It holds a count in
// s.conns while it lives.
func (s *Server) worker(st *stream) {
	defer s.conns.Done()
	for {
		st.run()
		s.armRetire()
		var ok bool
		if st, ok = s.workers.Wait(s.ln.Closing); !ok {
			return
		}
	}
}
