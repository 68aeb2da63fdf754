package h2

import (
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/sluiceproxy/sluice/cert"
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
}

// DefaultLimits are Sōzu's defaults (which follow the CVEs they answer:
// CVE-2019-9512 ping, CVE-2019-9515 settings, CVE-2023-44487 rapid reset,
// CVE-2019-9518 empty frames, CVE-2024-27316 CONTINUATION).
var DefaultLimits = Limits{Pings: 100, Settings: 50, Resets: 100, EmptyData: 100,
	WindowUpdates: 1000, Priorities: 1000, Continuations: 20, MaxStreams: 100, MaxHeaderFields: 100}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	for _, p := range []struct{ v, def *int }{{&l.Pings, &d.Pings}, {&l.Settings, &d.Settings},
		{&l.Resets, &d.Resets}, {&l.EmptyData, &d.EmptyData}, {&l.WindowUpdates, &d.WindowUpdates},
		{&l.Priorities, &d.Priorities}, {&l.Continuations, &d.Continuations},
		{&l.MaxStreams, &d.MaxStreams}, {&l.MaxHeaderFields, &d.MaxHeaderFields}} {
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
// Read follows the frame headers going by and fails with ErrFlood once the
// client exceeds a Limits budget; the server then closes the connection.
// It deliberately has no ConnectionState method: the server treats it as
// a cleartext HTTP/2 connection, the TLS side being the proxy's.
type conn struct {
	net.Conn     // the *tls.Conn, as a net.Conn only
	tls          *tls.Conn
	served       *cert.Cert // certificate of the handshake
	clientIP     string     // for X-Forwarded-For
	forwardedFor string     // for Forwarded: for=
	lim          Limits

	closeOnce sync.Once
	done      chan struct{} // closed by Close
	streams   tracker       // handlers running for this connection

	// Read side state; only the server's reading goroutine touches it.
	skip   int     // preface or payload bytes still to pass over
	hdr    [9]byte // a frame header being assembled
	nhdr   int
	cont   int // CONTINUATION frames in the current block
	window time.Time
	counts [6]int // per window: see the count* indexes
}

func newConn(tc *tls.Conn, served *cert.Cert, lim Limits) *conn {
	c := &conn{Conn: tc, tls: tc, served: served, lim: lim, done: make(chan struct{}), skip: len(preface)}
	if ap, err := netip.ParseAddrPort(tc.RemoteAddr().String()); err == nil {
		c.clientIP = ap.Addr().Unmap().String()
		c.forwardedFor = forwardedNode(c.clientIP)
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

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.scan(p[:n], time.Now()) {
		return 0, ErrFlood
	}
	return n, err
}

// scan follows frame headers in b and reports a flood.
func (c *conn) scan(b []byte, now time.Time) bool {
	for len(b) > 0 {
		if c.skip > 0 {
			k := min(c.skip, len(b))
			c.skip -= k
			b = b[k:]
			continue
		}
		k := copy(c.hdr[c.nhdr:], b)
		c.nhdr += k
		b = b[k:]
		if c.nhdr < len(c.hdr) {
			return false
		}
		c.nhdr = 0
		length := int(c.hdr[0])<<16 | int(c.hdr[1])<<8 | int(c.hdr[2])
		c.skip = length
		if c.frame(c.hdr[3], c.hdr[4], c.hdr[5:9], length, now) {
			return true
		}
	}
	return false
}

// Indexes of conn.counts.
const (
	countPings = iota
	countSettings
	countResets
	countEmptyData
	countWindowUpdates
	countPriorities
)

// frame counts one frame header and reports a flood.
func (c *conn) frame(typ, flags byte, stream []byte, length int, now time.Time) bool {
	if now.Sub(c.window) >= FloodWindow {
		c.window, c.counts = now, [6]int{}
	}
	over := func(i, limit int) bool { c.counts[i]++; return c.counts[i] > limit }
	switch typ {
	case framePing:
		return flags&flagAck == 0 && over(countPings, c.lim.Pings)
	case frameSettings:
		return flags&flagAck == 0 && over(countSettings, c.lim.Settings)
	case frameRSTStream:
		return over(countResets, c.lim.Resets)
	case frameData:
		return length == 0 && flags&flagEndStream == 0 && over(countEmptyData, c.lim.EmptyData)
	case frameWindowUpdate:
		streamZero := stream[0]&0x7f == 0 && stream[1] == 0 && stream[2] == 0 && stream[3] == 0
		return streamZero && over(countWindowUpdates, c.lim.WindowUpdates)
	case framePriority, framePriorityUpdate:
		return over(countPriorities, c.lim.Priorities)
	case frameHeaders:
		c.cont = 0
	case frameContinuation:
		c.cont++
		return c.cont > c.lim.Continuations
	}
	return false
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

// forwardedNode formats an IP for the Forwarded header (RFC 7239 §6).
func forwardedNode(ip string) string {
	for i := 0; i < len(ip); i++ {
		if ip[i] == ':' {
			return `"[` + ip + `]"`
		}
	}
	return ip
}
