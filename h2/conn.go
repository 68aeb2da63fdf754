package h2

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/park"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/metrics"
)

// conn is one HTTP/2 client connection. The goroutine in serve reads the
// client's frames and handles them (the fields marked "reader" are its
// own); mu guards what the streams' workers and the writer share with it.
type conn struct {
	s   *Server
	nc  net.Conn        // what frames are read from and written to: the *tls.Conn
	raw net.Conn        // the socket under it, closed to cut the connection at once
	cl  exchange.Client // the connection as exchanges see it
	// prc is raw's descriptor, which an idle connection parks on (see
	// park.go); nil when it cannot park.
	prc     syscall.RawConn
	release func() // gives the connection's slot back; called once, by end
	set     *listener.Settings
	lim     *Limits
	m       *metrics.Listener // nil when the proxy keeps no metrics

	// reader
	rbuf     []byte // from the Server's pool while bytes are buffered; nil while the client is silent
	r, w     int    // rbuf[r:w] read, not yet handled
	tiny     [64]byte
	dec      *decoder
	block    []byte // the header block being received
	hd       headerBlock
	fl       floods
	failed   error   // why the connection ends
	started  bool    // the client's preface was read
	starting *stream // a stream to hand to a worker
	noPark   bool    // the poller refused the connection once: it waits in its reads
	woken    bool    // the poller just woke the connection: read before parking again

	// spot is where the connection waits in the poller while parked; its
	// lock orders the moves into and out of parked (lock order: spot, then
	// mu).
	spot   park.Spot
	parked bool // under spot's lock

	wg    sync.WaitGroup // the workers of its streams
	ww    sync.WaitGroup // the writer, while it runs
	wwake chan struct{}  // wakes the writer (buffered 1)

	mu        sync.Mutex
	streams   map[uint32]*stream // open and half-closed streams
	lastID    uint32             // highest stream the client opened
	running   int                // streams whose exchange runs
	sendWin   int64              // connection send window
	recvWin   int64              // connection receive window
	recvAck   int                // bytes consumed, not yet granted back
	peerWin   int64              // the client's SETTINGS_INITIAL_WINDOW_SIZE
	peerMax   int                // DATA and header frames the server sends: at most this
	enc       encoder            // response heads' HPACK state
	out       []byte             // frames waiting for the writer
	spare     []byte             // the writer's other buffer
	waitOut   int                // streams waiting for room in out
	yielded   bool               // the writer let others run before its next write
	unbegun   int                // running streams whose response has not begun
	batch     int                // whole responses queued since the last write
	plain     int                // out[:plain] is whole responses only (see hold.go)
	pauses    int                // times a stream released mu while queueing DATA (sendLocked)
	held      bool               // the writer held the queued responses since the last write
	cool      int                // writes left before the writer holds again, after a hold in vain
	holdT     *time.Timer        // ends a hold; made on the first
	writing   bool               // a write is in progress (the writer's, or a stream's)
	wdl       time.Time          // the write deadline set last (the writing goroutine's)
	dead      bool               // closing: nothing more is queued, every wait ends
	wclosed   bool               // the writer flushes what is queued and ends
	writerOn  bool               // the writer runs (it starts when frames are queued, ends when idle)
	wfinal    bool               // the end waits for the writer: none starts any more
	mayIdle   bool               // the client's preface was read: the connection may park
	parkDL    atomic.Int64       // the read deadline parkSoonLocked armed (listener.Mono), 0 when another was set since
	goAway    bool               // GOAWAY sent
	goAwayN   uint32             // its last stream id
	draining  bool               // close once no stream is open (Drain, the client's GOAWAY)
	late      bool               // joined while the listener drained: GOAWAY after the first stream (set before serve)
	idleSince time.Time          // when the last stream closed
}

// maxQueued bounds the frames waiting for a client that does not read;
// beyond it the connection ends (control frames the server owes it pile
// up there: acks, resets). maxPending is the queue past which a stream's
// DATA waits for the writer.
const (
	maxQueued  = 1 << 20
	maxPending = 64 << 10
)

var errGone = errors.New("h2: stream or connection gone")

func newConn(s *Server, nc, raw net.Conn, cl exchange.Client, release func()) *conn {
	c := &conn{s: s, nc: nc, raw: raw, cl: cl, release: release, set: s.ln.Settings(), lim: &s.lim, m: s.ln.M,
		streams: map[uint32]*stream{}, wwake: make(chan struct{}, 1),
		sendWin: defaultWindow, recvWin: connWindow, peerWin: defaultWindow, peerMax: maxFrame}
	if sc, ok := raw.(syscall.Conn); ok && s.parking.Poller != nil {
		c.prc, _ = sc.SyscallConn()
	}
	c.fl.lim = c.lim
	c.dec = newDecoder(headerTableSize, c.onField)
	return c
}

// peerAddr is nc's peer, IPv4-mapped addresses unmapped.
func peerAddr(nc net.Conn) netip.AddrPort {
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// keepAlive is how long a connection without open streams is kept.
func (c *conn) keepAlive() time.Duration {
	if d := c.set.KeepAliveTimeout; d > 0 {
		return d
	}
	return c.set.FrontTimeout
}

// serve runs the connection: the server's preface (queued by
// queuePreface), the client's, then frames until the connection ends or
// parks (see run).
func (c *conn) serve() {
	c.mu.Lock()
	c.idleSince = time.Now()
	c.kickLocked()
	c.mu.Unlock()
	c.run(true)
}

// queuePreface queues the server's preface (its SETTINGS and the
// connection window), before the connection is tracked: a Drain that finds
// it then queues its GOAWAY after them.
func (c *conn) queuePreface() {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := appendFrameHeader(c.out, 6*6, frameSettings, 0, 0)
	out = appendSetting(out, settingMaxConcurrentStreams, uint32(c.lim.MaxStreams))
	out = appendSetting(out, settingInitialWindowSize, streamWindow)
	out = appendSetting(out, settingMaxFrameSize, maxFrame)
	out = appendSetting(out, settingMaxHeaderListSize, uint32(c.lim.MaxHeaderBlock))
	out = appendSetting(out, settingHeaderTableSize, headerTableSize)
	out = appendSetting(out, settingEnableConnectProtocol, 1)
	c.out = appendWindowUpdate(out, 0, connWindow-defaultWindow)
}

// run is the frame loop, in the goroutine that called Serve or, after a
// park, in one the poller started: it reads frames (the client's preface
// first when preface is set) until the connection ends, then ends it, or
// until it parks (errParked), leaving it to the poller. When it ends the
// connection, it returns once the writer and every stream's worker are
// done and the connection is closed.
func (c *conn) run(preface bool) {
	var err error
	defer func() {
		if v := recover(); v != nil {
			c.s.env.Log.Error("panic while serving an HTTP/2 connection", "listener", c.s.ln.Addr,
				"client", c.cl.Addr.Addr().String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = errPanic // the handlers release the lock on the way out
		}
		if err != errParked {
			c.end(err)
		}
	}()
	if preface {
		err = c.readPreface()
	}
	for err == nil {
		err = c.readFrame()
	}
}

// end closes the connection after err: GOAWAY when the client broke a
// rule, the streams still open cut, what is queued flushed within a second,
// and the workers waited for; then the connection is forgotten by its
// Server and its slot given back. It runs once, in whichever goroutine
// ends the connection (the frame loop's, or a closer's of a parked one).
func (c *conn) end(err error) {
	c.failed = err
	code, send := uint32(codeNo), true
	var ce *connError
	switch {
	case errors.As(err, &ce):
		code = ce.code
	case errors.Is(err, ErrFlood), errors.Is(err, ErrHeaderBlock):
		code = codeEnhanceYourCalm
	case errors.Is(err, ErrMalformed):
		code = codeProtocol
	case errors.Is(err, errIdle):
	default:
		send = false // the client went away, or the connection was closed
	}
	if send && code != codeNo {
		c.s.env.Log.Debug("http2 connection error", "listener", c.s.ln.Addr,
			"client", c.cl.Addr.Addr().String(), "error", err)
	}
	c.mu.Lock()
	if send && (!c.goAway || code != codeNo) {
		c.out = appendGoAway(c.out, c.lastID, code)
		c.goAway = true
	}
	c.dead = true
	for _, st := range c.streams {
		st.cutLocked()
	}
	c.wclosed = true
	// A write in progress to a client that reads nothing would hold the
	// end for front_timeout; a second is enough for the last frames.
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.kickLocked()
	c.wfinal = true
	c.mu.Unlock()
	c.ww.Wait()
	_ = c.nc.Close()
	c.wg.Wait()
	if c.rbuf != nil {
		c.s.putRead(c.rbuf)
		c.rbuf = nil
	}
	c.s.untrack(c)
	if c.m != nil {
		c.m.ConnectionsActive.Dec()
	}
	c.release()
}

// abort closes the connection now (hard stop): the reader and the writer
// fail, and the end cuts the streams. A parked connection is ended here.
func (c *conn) abort() {
	_ = c.raw.Close()
	if c.unparkToClose() {
		c.end(net.ErrClosed)
	}
}
