// Package h2client is the HTTP/2 client the proxy speaks to backends with
// (RFC 9113): one Conn per connection, whose streams carry the requests of
// many exchanges at once.
//
// It is made for a proxy's exchange, not for general use: a request goes
// out as fields the caller already parsed and normalised (no http.Request,
// no maps, no strings: encode.go writes the header block from their bytes),
// the response comes back as fields in the backend's order, and the
// caller's goroutine writes the HEADERS frame, which the connection's
// flusher sends with those of the other requests made meanwhile
// (flush.go); a body is copied by a goroutine of the stream's own, as it
// comes from the client. One goroutine per connection
// reads the backend's frames (golang.org/x/net/http2's Framer and HPACK
// decoder, with its checks of the header blocks) and hands each stream its
// head, data and trailers.
//
// The limits it keeps: the backend's SETTINGS_MAX_CONCURRENT_STREAMS (a
// stream is reserved before it is opened, so that a caller knows it will
// get one), flow control both ways (the receive window of a stream bounds
// what it buffers for a slow reader), a response head's size
// (Config.MaxHeaderBytes), at most maxInterim interim heads per stream, a
// PING when the backend has been silent for Config.PingAfter, whose
// answer must come within Config.PingTimeout, and a write deadline
// (Config.WriteTimeout) for a backend that stops reading.
package h2client

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Config are a connection's settings. The zero value is usable: each zero
// field means its default.
type Config struct {
	// IdleTimeout closes the connection once it has had no stream (open or
	// reserved) for this long; it closes between IdleTimeout and twice it
	// after its last stream. Default 30 s.
	IdleTimeout time.Duration
	// PingAfter is how long the backend may stay silent while the
	// connection is open before a PING checks it is there; PingTimeout is
	// how long its answer may take before the connection is closed.
	// Defaults 30 s and 10 s.
	PingAfter, PingTimeout time.Duration
	// WriteTimeout bounds a write to the backend: one that has not gone
	// out after WriteTimeout/2 to WriteTimeout (a backend that stopped
	// reading) fails the connection. Default 10 s.
	WriteTimeout time.Duration
	// MaxHeaderBytes bounds a response's head, and its trailers, as RFC
	// 7541 §4.1 counts them (32 bytes more per field than its name and
	// value); the backend is told in SETTINGS_MAX_HEADER_LIST_SIZE. A
	// larger head fails its stream; one field larger than the limit (or a
	// header block fragment of more than twice what remains of it) ends
	// the connection, as x/net's Framer decides. Default 256 KiB.
	MaxHeaderBytes uint32
	// StreamWindow is the receive window of each stream, in bytes: the
	// most of a response body a stream buffers before its reader takes it.
	// Default 1 MiB.
	StreamWindow uint32
}

const (
	defaultIdle        = 30 * time.Second
	defaultPingAfter   = 30 * time.Second
	defaultPingTimeout = 10 * time.Second
	defaultWrite       = 10 * time.Second
	defaultMaxHeader   = 256 << 10
	defaultStreamWin   = 1 << 20
	// connWindow is the connection's receive window. Its credit goes back
	// as soon as a DATA frame is in (the streams' windows bound what is
	// buffered), in WINDOW_UPDATEs of at least half of it.
	connWindow = 16 << 20
	// initialMaxStreams is the streams a connection takes before the
	// backend's SETTINGS say how many it allows (RFC 9113 §6.5.2 gives
	// no limit; x/net's client assumes 100 as well).
	initialMaxStreams = 100
	// maxInterim bounds the interim (1xx) heads of a stream.
	maxInterim = 8
	// maxStreamID is the largest stream identifier (RFC 9113 §5.1.1).
	maxStreamID = 1<<31 - 1
)

func (c *Config) fill() {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = defaultIdle
	}
	if c.PingAfter <= 0 {
		c.PingAfter = defaultPingAfter
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = defaultPingTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = defaultWrite
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = defaultMaxHeader
	}
	if c.StreamWindow == 0 {
		c.StreamWindow = defaultStreamWin
	}
	c.StreamWindow = min(c.StreamWindow, maxStreamID)
}

// Conn is an HTTP/2 connection to a backend. Its methods are safe for
// concurrent use. It owns the net.Conn it was made on and the goroutine
// that reads it, which ends when the connection closes.
type Conn struct {
	nc  net.Conn
	cfg Config

	// wmu is the writers' lock: the Framer's writes, the HPACK encoder,
	// the buffered writer and its flush. Stream identifiers are assigned
	// under it too, so that they go out in increasing order.
	wmu sync.Mutex
	bw  *bufio.Writer
	fr  *http2.Framer // reads by the reading goroutine; writes under wmu
	// hbuf and lname are the header block being encoded and a scratch
	// for lowered names (encode.go).
	hbuf, lname []byte
	// maxFrame is the largest frame payload the backend takes (its
	// SETTINGS_MAX_FRAME_SIZE); under wmu.
	maxFrame uint32
	nextID   uint32 // under wmu
	// queued counts the writers waiting for wmu (lockWrite).
	queued atomic.Int32
	// wdeadline is the write deadline set on nc (unix ns); under wmu.
	wdeadline int64

	mu   sync.Mutex
	cond sync.Cond // on mu: send windows opened, streams ended, the connection failed
	// streams are the open ones, by identifier.
	streams    map[uint32]*Stream
	reserved   int    // reservations not opened yet
	maxStreams uint32 // the backend's SETTINGS_MAX_CONCURRENT_STREAMS
	peerWin    int32  // the backend's SETTINGS_INITIAL_WINDOW_SIZE
	sendWin    int64  // the connection's send window
	// recvCredit is connection window credit not granted back yet;
	// recvWin what the backend may still send on the connection.
	recvCredit, recvWin int
	// lastOpened is the highest identifier a HEADERS went out with.
	lastOpened uint32
	// goAway is set when the backend sent a GOAWAY (its streams above
	// the last one it names have failed: onGoAway); draining when no new
	// stream may start.
	goAway    bool
	draining  bool
	closed    bool
	err       error // why the connection ended, once closed
	idleSince time.Time
	pingSent  time.Time // a PING is out since then (zero: none)

	gotSettings  bool          // reader's: the backend's first SETTINGS is in
	settings     chan struct{} // closed once the backend's first SETTINGS is in
	settingsOnce sync.Once
	done         chan struct{} // closed when the reading goroutine ends
	// flushReq asks the flusher (flush.go) for a flush soon (buffered 1).
	flushReq  chan struct{}
	lastRead  atomic.Int64 // unix ns of the last frame read
	idleTimer *time.Timer
	pingTimer *time.Timer
}

// Errors a stream or a connection fails with.
var (
	// ErrClosed: the connection is closed (by Close, an idle timeout, or
	// a failure, which errors.Is finds wrapped with it).
	ErrClosed = errors.New("h2client: connection closed")
	// ErrUnprocessed wraps the errors of a stream the backend is known
	// not to have processed (RFC 9113 §8.7): refused (REFUSED_STREAM),
	// above the last identifier of a GOAWAY, or never sent. Such a
	// request may be sent again, on another connection.
	ErrUnprocessed = errors.New("h2client: stream not processed by the backend")
	// ErrNoStream: Open was called without a reservation, or the
	// connection takes no new stream.
	ErrNoStream = errors.New("h2client: no stream reserved")
)

// StreamError is a stream reset by the backend (RST_STREAM) or by the
// client because the backend broke the protocol on it.
type StreamError struct {
	Code   http2.ErrCode
	Reason string // what the backend did, when the client reset it
}

func (e *StreamError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("h2client: stream error %v: %s", e.Code, e.Reason)
	}
	return fmt.Sprintf("h2client: stream reset by the backend: %v", e.Code)
}

// Unwrap makes a REFUSED_STREAM ErrUnprocessed.
func (e *StreamError) Unwrap() error {
	if e.Code == http2.ErrCodeRefusedStream && e.Reason == "" {
		return ErrUnprocessed
	}
	return nil
}

// New starts an HTTP/2 connection on nc (its TLS handshake, if any, done):
// it writes the client preface and SETTINGS and starts the goroutine that
// reads the backend's frames. Use Ready to wait for the backend's
// SETTINGS. A write that fails closes nc and is returned.
func New(nc net.Conn, cfg Config) (*Conn, error) {
	cfg.fill()
	c := &Conn{
		nc:         nc,
		cfg:        cfg,
		bw:         bufio.NewWriterSize(nc, 16<<10),
		maxFrame:   16384,
		nextID:     1,
		streams:    make(map[uint32]*Stream),
		maxStreams: initialMaxStreams,
		peerWin:    65535,
		sendWin:    65535,
		settings:   make(chan struct{}),
		done:       make(chan struct{}),
		flushReq:   make(chan struct{}, 1),
		idleSince:  time.Now(),
		recvWin:    connWindow,
	}
	c.cond.L = &c.mu
	c.fr = http2.NewFramer(c.bw, bufio.NewReaderSize(nc, 16<<10))
	c.fr.SetReuseFrames()
	// The SETTINGS_MAX_FRAME_SIZE the client announces: the default (no
	// larger frame is read, nor its buffer kept).
	c.fr.SetMaxReadFrameSize(16384)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.fr.MaxHeaderListSize = cfg.MaxHeaderBytes
	c.lastRead.Store(time.Now().UnixNano())

	c.wmu.Lock()
	_, err := c.bw.WriteString(http2.ClientPreface)
	if err == nil {
		err = c.fr.WriteSettings(
			http2.Setting{ID: http2.SettingEnablePush, Val: 0},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: cfg.StreamWindow},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: cfg.MaxHeaderBytes},
		)
	}
	if err == nil {
		err = c.fr.WriteWindowUpdate(0, connWindow-65535)
	}
	if err == nil {
		err = c.bw.Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("h2client: writing the preface: %w", err)
	}
	// Under mu, which checkIdle and checkPing take before they look at
	// the timers (and fail, after them): a timer may fire before the
	// other is set.
	c.mu.Lock()
	c.idleTimer = time.AfterFunc(cfg.IdleTimeout, c.checkIdle)
	c.pingTimer = time.AfterFunc(cfg.PingAfter, c.checkPing)
	c.mu.Unlock()
	go c.readLoop()
	return c, nil
}

// Ready waits until the backend's first SETTINGS frame is in (so that
// reservations count against its own SETTINGS_MAX_CONCURRENT_STREAMS) or
// until timeout; it fails if the connection failed first.
func (c *Conn) Ready(timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.settings:
		return nil
	case <-c.done:
		return c.Err()
	case <-t.C:
		err := fmt.Errorf("h2client: no SETTINGS from the backend within %v", timeout)
		c.fail(err)
		return err
	}
}

// Reserve takes a stream slot for a later Open, if the connection takes a
// new stream and the backend's SETTINGS_MAX_CONCURRENT_STREAMS leaves one.
// A reservation is used by Open or given back by Unreserve.
func (c *Conn) Reserve() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.takesStreamsLocked() || uint32(len(c.streams)+c.reserved) >= c.maxStreams {
		return false
	}
	c.reserved++
	return true
}

// Unreserve gives back a reservation Open will not use.
func (c *Conn) Unreserve() {
	c.mu.Lock()
	c.reserved--
	shut := c.endedLocked()
	c.mu.Unlock()
	if shut {
		c.shut()
	}
}

func (c *Conn) takesStreamsLocked() bool {
	return !c.closed && !c.draining && !c.goAway && c.nextIDPeek() <= maxStreamID
}

// nextIDPeek reads the next identifier without wmu: it only grows, so a
// stale value only makes Reserve say yes where Open then says ErrNoStream.
func (c *Conn) nextIDPeek() uint32 { return atomic.LoadUint32(&c.nextID) }

// State is a snapshot of a connection.
type State struct {
	Closed   bool // it failed or was closed
	Closing  bool // it takes no new stream: draining, or the backend sent a GOAWAY
	Streams  int  // streams open
	Reserved int  // reservations not opened yet
}

// State reports the connection's state now.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return State{Closed: c.closed, Closing: !c.closed && !c.takesStreamsLocked(),
		Streams: len(c.streams), Reserved: c.reserved}
}

// Drain stops the connection taking new streams: it closes now if it has
// none (open or reserved), else once its last one ends.
func (c *Conn) Drain() {
	c.mu.Lock()
	c.draining = true
	shut := c.endedLocked()
	c.mu.Unlock()
	if shut {
		c.shut()
	}
}

// Close closes the connection at once (a GOAWAY first, as a courtesy):
// its streams fail with ErrClosed. It returns once the reading goroutine
// has ended.
func (c *Conn) Close() error {
	c.shut()
	<-c.done
	return nil
}

// shut sends a GOAWAY and closes the connection; from any goroutine (the
// reading one included), with neither lock held.
func (c *Conn) shut() {
	c.mu.Lock()
	closed := c.closed
	last := c.lastOpened
	c.mu.Unlock()
	if closed {
		return
	}
	// The deadline goes first: a write stuck on a backend that reads
	// nothing holds wmu, and fails by it instead of holding Close.
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.wmu.Lock()
	if c.fr.WriteGoAway(last, http2.ErrCodeNo, nil) == nil {
		c.bw.Flush()
	}
	c.wmu.Unlock()
	c.fail(ErrClosed)
}

// Err is why the connection ended, or nil while it is open.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// fail ends the connection with err (the first error stays): streams not
// over fail with it, waiters wake, the socket closes, and the reading
// goroutine ends.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if !errors.Is(err, ErrClosed) {
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	c.err = err
	for _, s := range c.streams {
		s.failLocked(err)
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	c.idleTimer.Stop()
	c.pingTimer.Stop()
	c.nc.Close()
}

// endedLocked notes when the connection has no stream left (the idle
// time counts from then) and reports whether it must close now (draining,
// or after a GOAWAY): the caller calls shut once it holds no lock.
func (c *Conn) endedLocked() bool {
	if len(c.streams) > 0 || c.reserved > 0 {
		return false
	}
	c.idleSince = time.Now()
	return (c.draining || c.goAway) && !c.closed
}

// checkIdle closes the connection when it has had no stream for
// IdleTimeout, and looks again later otherwise.
func (c *Conn) checkIdle() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	wait := c.cfg.IdleTimeout
	if len(c.streams) == 0 && c.reserved == 0 {
		if idle := time.Since(c.idleSince); idle >= c.cfg.IdleTimeout {
			c.draining = true
			c.mu.Unlock()
			c.shut()
			return
		} else {
			wait -= idle
		}
	}
	c.idleTimer.Reset(wait)
	c.mu.Unlock()
}

// checkPing sends a PING when the backend has been silent for PingAfter,
// and closes the connection when one has gone unanswered for PingTimeout.
func (c *Conn) checkPing() {
	now := time.Now()
	silent := now.Sub(time.Unix(0, c.lastRead.Load()))
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if !c.pingSent.IsZero() {
		if now.Sub(c.pingSent) >= c.cfg.PingTimeout {
			c.mu.Unlock()
			c.fail(fmt.Errorf("h2client: no answer to a PING within %v", c.cfg.PingTimeout))
			return
		}
		c.pingTimer.Reset(c.cfg.PingTimeout - now.Sub(c.pingSent))
		c.mu.Unlock()
		return
	}
	if silent < c.cfg.PingAfter {
		c.pingTimer.Reset(c.cfg.PingAfter - silent)
		c.mu.Unlock()
		return
	}
	c.pingSent = now
	c.pingTimer.Reset(c.cfg.PingTimeout)
	c.mu.Unlock()
	c.writeControl(func() error { return c.fr.WritePing(false, [8]byte{'s', 'l', 'u', 'i', 'c', 'e'}) })
}
