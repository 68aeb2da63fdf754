package h2

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/metrics"
)

// Limits bound what one client connection may send per second (a window
// of FloodWindow) before the guard closes it, beyond what the HTTP/2 server
// itself refuses. Zero fields take the defaults of DefaultLimits.
type Limits struct {
	Pings           int // PING frames (not acks)
	Settings        int // SETTINGS frames (not acks)
	Resets          int // RST_STREAM frames (rapid reset)
	EmptyData       int // DATA frames with no payload and no END_STREAM
	WindowUpdates   int // WINDOW_UPDATE frames on stream 0
	Priorities      int // PRIORITY and PRIORITY_UPDATE frames
	Continuations   int // CONTINUATION frames in one header block (not per second)
	MaxStreams      int // SETTINGS_MAX_CONCURRENT_STREAMS advertised
	MaxHeaderFields int // request header fields; more gets 431
	// MaxHeaderBlock bounds one header block (a HEADERS frame and its
	// CONTINUATION frames, as sent: compressed, padding included) in
	// bytes: the listener's head limit, so that a header block costs no
	// more than an HTTP/1.1 head may. More ends the connection.
	MaxHeaderBlock int
}

// DefaultLimits are Sōzu's defaults (which follow the CVEs they answer:
// CVE-2019-9512 ping, CVE-2019-9515 settings, CVE-2023-44487 rapid reset,
// CVE-2019-9518 empty frames, CVE-2024-27316 CONTINUATION).
var DefaultLimits = Limits{Pings: 100, Settings: 50, Resets: 100, EmptyData: 100,
	WindowUpdates: 1000, Priorities: 1000, Continuations: 20, MaxStreams: 100, MaxHeaderFields: 100,
	MaxHeaderBlock: 32 << 10}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	for _, p := range []struct{ v, def *int }{{&l.Pings, &d.Pings}, {&l.Settings, &d.Settings},
		{&l.Resets, &d.Resets}, {&l.EmptyData, &d.EmptyData}, {&l.WindowUpdates, &d.WindowUpdates},
		{&l.Priorities, &d.Priorities}, {&l.Continuations, &d.Continuations},
		{&l.MaxStreams, &d.MaxStreams}, {&l.MaxHeaderFields, &d.MaxHeaderFields},
		{&l.MaxHeaderBlock, &d.MaxHeaderBlock}} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	return l
}

// FloodWindow is the period over which frame counts are bounded.
const FloodWindow = time.Second

// ErrFlood is the read error that ends a connection sending too many
// control frames.
var ErrFlood = errors.New("h2: frame flood")

// ErrHeaderBlock is the read error that ends a connection whose header
// block grew past Limits.MaxHeaderBlock.
var ErrHeaderBlock = errors.New("h2: header block over the limit")

const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Frame types (RFC 9113 §6, RFC 9218 §7.1).
const (
	frameData           = 0x0
	frameHeaders        = 0x1
	framePriority       = 0x2
	frameRSTStream      = 0x3
	frameSettings       = 0x4
	framePing           = 0x6
	frameWindowUpdate   = 0x8
	frameContinuation   = 0x9
	framePriorityUpdate = 0x10
	flagAck             = 0x1
	flagEndStream       = 0x1
)

// conn is a decrypted client connection as the HTTP/2 server sees it. Its
// Read follows the frames going by (see inspect.go): a flood, or a request
// the server would let through although RFC 9113 calls it malformed, gets a
// GOAWAY from the guard and the read fails, so the server closes the
// connection. Its Write tracks frame boundaries so that such a GOAWAY never
// lands inside a frame of the server's. It deliberately has no
// ConnectionState method: the server treats it as a cleartext HTTP/2
// connection, the TLS side being the proxy's.
type conn struct {
	net.Conn                 // the *tls.Conn, as a net.Conn only
	tls      *tls.Conn       // the same connection
	cl       exchange.Client // the connection as exchanges see it
	lim      Limits
	m        *metrics.Listener // nil when the proxy keeps no metrics

	closeOnce sync.Once
	done      chan struct{} // closed by Close
	streams   tracker       // handlers running for this connection

	in  inbound  // read side; only the server's reading goroutine touches it
	out outbound // write side, under its own lock
}

func newConn(tc *tls.Conn, served *cert.Cert, lim Limits, m *metrics.Listener) *conn {
	c := &conn{Conn: tc, tls: tc, lim: lim, m: m, done: make(chan struct{})}
	st := tc.ConnectionState()
	c.cl = exchange.Client{Conn: tc, Cert: served, TLSVersion: st.Version, SNI: st.ServerName}
	c.in.init(lim)
	if ap, err := netip.ParseAddrPort(tc.RemoteAddr().String()); err == nil {
		c.cl.Addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	c.streams.init()
	return c
}

// Close closes the connection once and wakes whoever waits on done.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { close(c.done) })
	return err
}

// Read reads from the client and inspects what it read; once the client
// broke a rule it sends GOAWAY and fails every later read.
func (c *conn) Read(p []byte) (int, error) {
	if c.in.failed != nil {
		return 0, c.in.failed
	}
	n, err := c.Conn.Read(p)
	if c.m != nil {
		c.m.BytesIn.Add(int64(n))
	}
	if n > 0 {
		if code, bad := c.in.scan(p[:n], time.Now()); bad != nil {
			c.in.failed = bad
			c.goAway(c.in.lastStream, code)
			return 0, bad
		}
	}
	return n, err
}

// Write writes the server's bytes, keeping track of frame boundaries.
func (c *conn) Write(p []byte) (int, error) {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	c.out.follow(p)
	n, err := c.Conn.Write(p)
	if c.m != nil {
		c.m.BytesOut.Add(int64(n))
	}
	return n, err
}

// goAway sends a GOAWAY frame with code between two of the server's frames
// (or drops it when the server is in the middle of one: the connection
// closes anyway).
func (c *conn) goAway(lastStream uint32, code uint32) {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	if !c.out.atBoundary() {
		return
	}
	f := [17]byte{0, 0, 8, 0x7, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(f[9:], lastStream&0x7fffffff)
	binary.BigEndian.PutUint32(f[13:], code)
	_ = c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Conn.Write(f[:])
}

// outbound follows the frame boundaries of what the server writes. The
// server writes its preface-less stream of frames starting at a boundary.
type outbound struct {
	mu   sync.Mutex
	skip int // payload bytes of the current frame still to come
	hdr  [9]byte
	nhdr int
}

func (o *outbound) atBoundary() bool { return o.skip == 0 && o.nhdr == 0 }

func (o *outbound) follow(b []byte) {
	for len(b) > 0 {
		if o.skip > 0 {
			k := min(o.skip, len(b))
			o.skip -= k
			b = b[k:]
			continue
		}
		k := copy(o.hdr[o.nhdr:], b)
		o.nhdr += k
		b = b[k:]
		if o.nhdr == len(o.hdr) {
			o.nhdr = 0
			o.skip = int(o.hdr[0])<<16 | int(o.hdr[1])<<8 | int(o.hdr[2])
		}
	}
}

// Indexes of inbound.counts.
const (
	countPings = iota
	countSettings
	countResets
	countEmptyData
	countWindowUpdates
	countPriorities
)

// flood counts the frame whose header was just read and reports a flood.
func (in *inbound) flood(stream uint32, length int, now time.Time) bool {
	if now.Sub(in.window) >= FloodWindow {
		in.window, in.counts = now, [6]int{}
	}
	over := func(i, limit int) bool { in.counts[i]++; return in.counts[i] > limit }
	switch in.typ {
	case framePing:
		return in.flags&flagAck == 0 && over(countPings, in.lim.Pings)
	case frameSettings:
		return in.flags&flagAck == 0 && over(countSettings, in.lim.Settings)
	case frameRSTStream:
		return over(countResets, in.lim.Resets)
	case frameData:
		return length == 0 && in.flags&flagEndStream == 0 && over(countEmptyData, in.lim.EmptyData)
	case frameWindowUpdate:
		return stream == 0 && over(countWindowUpdates, in.lim.WindowUpdates)
	case framePriority, framePriorityUpdate:
		return over(countPriorities, in.lim.Priorities)
	case frameHeaders:
		in.cont = 0
	case frameContinuation:
		in.cont++
		return in.cont > in.lim.Continuations
	}
	return false
}

// overBlock adds the frame whose header was just read to the header block
// in progress and reports a block over Limits.MaxHeaderBlock.
func (in *inbound) overBlock(length int) bool {
	switch in.typ {
	case frameHeaders:
		in.blockBytes = length
	case frameContinuation:
		in.blockBytes += length
	default:
		return false
	}
	return in.blockBytes > in.lim.MaxHeaderBlock
}

// tracker counts the stream handlers of a connection so that its owner can
// wait for them; once closed it admits no new one.
type tracker struct {
	mu     sync.Mutex
	cond   *sync.Cond
	n      int
	closed bool
}

func (t *tracker) init() { t.cond = sync.NewCond(&t.mu) }

func (t *tracker) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.n++
	return true
}

func (t *tracker) leave() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		t.cond.Broadcast()
	}
	t.mu.Unlock()
}

// closeAndWait admits no more handlers and waits for those running.
func (t *tracker) closeAndWait() {
	t.mu.Lock()
	t.closed = true
	for t.n > 0 {
		t.cond.Wait()
	}
	t.mu.Unlock()
}
