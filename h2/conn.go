package h2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
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
	set *listener.Settings
	lim *Limits
	m   *metrics.Listener // nil when the proxy keeps no metrics

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

	wg         sync.WaitGroup // the workers of its streams
	writerDone chan struct{}
	wwake      chan struct{} // wakes the writer (buffered 1)

	mu        sync.Mutex
	streams   map[uint32]*stream // open and half-closed streams
	lastID    uint32             // highest stream the client opened
	running   int                // streams whose exchange runs
	sendWin   int64              // connection send window
	recvWin   int64              // connection receive window
	recvAck   int                // bytes consumed, not yet granted back
	peerWin   int64              // the client's SETTINGS_INITIAL_WINDOW_SIZE
	peerMax   int                // DATA and header frames the server sends: at most this
	out       []byte             // frames waiting for the writer
	spare     []byte             // the writer's other buffer
	waitOut   int                // streams waiting for room in out
	yielded   bool               // the writer let others run before its next write
	writing   bool               // a write is in progress (the writer's, or a stream's)
	wdl       time.Time          // the write deadline set last (the writing goroutine's)
	dead      bool               // closing: nothing more is queued, every wait ends
	wclosed   bool               // the writer flushes what is queued and ends
	goAway    bool               // GOAWAY sent
	goAwayN   uint32             // its last stream id
	draining  bool               // close once no stream is open (Drain, the client's GOAWAY)
	idleSince time.Time          // when the last stream closed
}

// headerBlock is the header block being received (HEADERS and its
// CONTINUATION frames) and what its fields broke so far.
type headerBlock struct {
	active    bool // CONTINUATION frames are expected
	id        uint32
	endStream bool
	st        *stream // the new stream collecting the fields; nil: decoded and dropped
	trailers  bool    // the block ends the request of an open stream
	refuse    uint32  // when not 0, the stream is reset with this code at the end
	bytes     int     // compressed bytes so far
	size      int     // decoded header list size (RFC 9113 §6.5.2)
	tooBig    bool    // size passed the limit
	malformed bool    // a field breaks RFC 9113 §8.2 or §8.3: PROTOCOL_ERROR
	connSpec  bool    // a connection-specific field
	regular   bool    // a regular field came
	pseudo    uint8   // pseudo-header fields seen
}

// Pseudo-header fields (headerBlock.pseudo bits).
const (
	pseudoMethod uint8 = 1 << iota
	pseudoScheme
	pseudoPath
	pseudoAuthority
)

// maxQueued bounds the frames waiting for a client that does not read;
// beyond it the connection ends (control frames the server owes it pile
// up there: acks, resets). maxPending is the queue past which a stream's
// DATA waits for the writer.
const (
	maxQueued  = 1 << 20
	maxPending = 64 << 10
)

var errGone = errors.New("h2: stream or connection gone")

func newConn(s *Server, nc, raw net.Conn, cl exchange.Client) *conn {
	c := &conn{s: s, nc: nc, raw: raw, cl: cl, set: s.ln.Settings(), lim: &s.lim, m: s.ln.M,
		streams: map[uint32]*stream{}, writerDone: make(chan struct{}), wwake: make(chan struct{}, 1),
		sendWin: defaultWindow, recvWin: connWindow, peerWin: defaultWindow, peerMax: maxFrame}
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

// serve runs the connection: the server's preface, the client's, then
// frames until the connection ends; it returns once the writer and every
// stream's worker are done and the connection is closed.
func (c *conn) serve() {
	c.mu.Lock()
	out := appendFrameHeader(c.out, 5*6, frameSettings, 0, 0)
	out = appendSetting(out, settingMaxConcurrentStreams, uint32(c.lim.MaxStreams))
	out = appendSetting(out, settingInitialWindowSize, streamWindow)
	out = appendSetting(out, settingMaxFrameSize, maxFrame)
	out = appendSetting(out, settingMaxHeaderListSize, uint32(c.lim.MaxHeaderBlock))
	out = appendSetting(out, settingHeaderTableSize, headerTableSize)
	c.out = appendWindowUpdate(out, 0, connWindow-defaultWindow)
	c.idleSince = time.Now()
	c.mu.Unlock()
	go c.writeLoop()
	var err error
	defer func() {
		if v := recover(); v != nil {
			c.s.env.Log.Error("panic while serving an HTTP/2 connection", "listener", c.s.ln.Addr,
				"client", c.cl.Addr.Addr().String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = errPanic // the handlers release the lock on the way out
		}
		c.end(err)
	}()
	err = c.readPreface()
	for err == nil {
		err = c.readFrame()
	}
}

func (c *conn) readPreface() error {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.set.RequestTimeout))
	if err := c.fill(len(preface)); err != nil {
		return err
	}
	if string(c.rbuf[c.r:c.r+len(preface)]) != preface {
		return protoErr("bad client preface")
	}
	c.r += len(preface)
	c.started = true
	_ = c.nc.SetReadDeadline(time.Now().Add(c.keepAlive()))
	return nil
}

// errIdle ends a connection that waited keepalive_timeout without a
// stream, or that has no stream left once draining.
var errIdle = errors.New("h2: connection idle")

// fill reads until rbuf[r:w] holds n bytes. A connection waits for the
// client with no read buffer of its own: the first bytes come into tiny,
// and a buffer is taken from the pool once they are there (an idle HTTP/2
// connection holds its TLS state, not a frame buffer).
func (c *conn) fill(n int) error {
	if c.w-c.r >= n {
		return nil
	}
	if c.r > 0 {
		c.w = copy(c.rbuf, c.rbuf[c.r:c.w])
		c.r = 0
	}
	for c.w < n {
		var k int
		var err error
		if c.rbuf == nil {
			if k, err = c.nc.Read(c.tiny[:]); k > 0 {
				c.rbuf = c.s.getRead()
				copy(c.rbuf, c.tiny[:k])
			}
		} else {
			k, err = c.nc.Read(c.rbuf[c.w:])
		}
		if k > 0 {
			c.w += k
			if c.m != nil {
				c.m.BytesIn.Add(int64(k))
			}
			continue
		}
		if err == nil {
			continue
		}
		if c.started && errors.Is(err, os.ErrDeadlineExceeded) {
			if c.stillWanted() {
				continue
			}
			return errIdle
		}
		return err
	}
	return nil
}

// stillWanted decides, on a read deadline, whether the connection goes on:
// it does while streams are open (the deadline is armed again) and until it
// has been keepalive_timeout without one; a draining connection ends once
// its streams are done.
func (c *conn) stillWanted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	switch {
	case c.dead:
		return false
	case len(c.streams) > 0:
		_ = c.nc.SetReadDeadline(now.Add(c.keepAlive()))
		return true
	case c.draining:
		return false
	}
	if idle := now.Sub(c.idleSince); idle < c.keepAlive() {
		_ = c.nc.SetReadDeadline(c.idleSince.Add(c.keepAlive()))
		return true
	}
	return false
}

// readFrame reads and handles one frame.
func (c *conn) readFrame() error {
	if c.r == c.w && c.rbuf != nil { // all handled: the buffer goes back while the client is silent
		c.s.putRead(c.rbuf)
		c.rbuf, c.r, c.w = nil, 0, 0
	}
	if err := c.fill(frameHeaderLen); err != nil {
		return err
	}
	h := c.rbuf[c.r : c.r+frameHeaderLen]
	length := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
	typ, flags := h[3], h[4]
	id := binary.BigEndian.Uint32(h[5:]) & 0x7fffffff
	if length > maxFrame {
		return frameSizeErr("frame over SETTINGS_MAX_FRAME_SIZE")
	}
	if err := c.fill(frameHeaderLen + length); err != nil {
		return err
	}
	p := c.rbuf[c.r+frameHeaderLen : c.r+frameHeaderLen+length]
	c.r += frameHeaderLen + length
	if c.hd.active && (typ != frameContinuation || id != c.hd.id) {
		return protoErr("a header block interrupted")
	}
	var err error
	switch typ {
	case frameData:
		err = c.onData(flags, id, p)
	case frameHeaders:
		err = c.onHeaders(flags, id, p)
	case frameContinuation:
		err = c.onContinuation(flags, id, p)
	case framePriority:
		err = c.onPriority(id, p)
	case frameRSTStream:
		err = c.onRSTStream(id, p)
	case frameSettings:
		err = c.onSettings(flags, id, p)
	case framePushPromise:
		err = protoErr("PUSH_PROMISE from a client")
	case framePing:
		err = c.onPing(flags, id, p)
	case frameGoAway:
		err = c.onGoAway(id, p)
	case frameWindowUpdate:
		err = c.onWindowUpdate(id, p)
	case framePriorityUpdate:
		if c.fl.over(countPriorities) {
			err = ErrFlood
		}
	}
	if err == nil && typ != frameData && typ != frameHeaders && typ != frameContinuation && c.queued() > maxQueued {
		err = ErrFlood // the client does not read what it is owed
	}
	return err
}

// queued is the size of the frames waiting for the client. It is checked
// after the frames the server answers (acks, resets): DATA and header
// blocks on streams that are closed or refused get a reset too, but their
// count is bounded by the connection's window and by the streams' limit.
func (c *conn) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.out)
}

// end closes the connection after err: GOAWAY when the client broke a
// rule, the streams still open cut, what is queued flushed within a second,
// and the workers waited for.
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
	c.mu.Unlock()
	// A write in progress to a client that reads nothing would hold the
	// end for front_timeout; a second is enough for the last frames.
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.kick()
	<-c.writerDone
	_ = c.nc.Close()
	c.wg.Wait()
	if c.rbuf != nil {
		c.s.putRead(c.rbuf)
		c.rbuf = nil
	}
}

// abort closes the connection now (hard stop): the reader and the writer
// fail, and the end cuts the streams.
func (c *conn) abort() {
	_ = c.raw.Close()
}

// drain sends GOAWAY: the streams open finish, later ones are refused, and
// the connection ends once none is left.
func (c *conn) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return
	}
	c.draining = true
	if !c.goAway {
		c.goAway, c.goAwayN = true, c.lastID
		c.out = appendGoAway(c.out, c.lastID, codeNo)
		c.kickLocked()
	}
	if len(c.streams) == 0 {
		_ = c.nc.SetReadDeadline(time.Now()) // the reader sees it and ends
	}
}

// onPing answers a PING.
func (c *conn) onPing(flags byte, id uint32, p []byte) error {
	switch {
	case id != 0:
		return protoErr("PING on a stream")
	case len(p) != 8:
		return frameSizeErr("PING of a length other than 8")
	case flags&flagAck != 0:
		return nil
	case c.fl.over(countPings):
		return ErrFlood
	}
	c.mu.Lock()
	c.out = append(appendFrameHeader(c.out, 8, framePing, flagAck, 0), p...)
	c.kickLocked()
	c.mu.Unlock()
	return nil
}

// onSettings applies the client's settings in order (a parameter may come
// more than once: the last value stands) and acknowledges them.
func (c *conn) onSettings(flags byte, id uint32, p []byte) error {
	switch {
	case id != 0:
		return protoErr("SETTINGS on a stream")
	case flags&flagAck != 0:
		if len(p) != 0 {
			return frameSizeErr("SETTINGS ack with a payload")
		}
		return nil
	case len(p)%6 != 0:
		return frameSizeErr("SETTINGS of a length not a multiple of 6")
	case c.fl.over(countSettings):
		return ErrFlood
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for ; len(p) > 0; p = p[6:] {
		v := binary.BigEndian.Uint32(p[2:])
		switch binary.BigEndian.Uint16(p) {
		case settingEnablePush:
			if v > 1 {
				return protoErr("SETTINGS_ENABLE_PUSH not 0 or 1")
			}
		case settingInitialWindowSize:
			if v > maxWindow {
				return &connError{codeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1"}
			}
			delta := int64(v) - c.peerWin
			c.peerWin = int64(v)
			for _, st := range c.streams {
				st.sendWin += delta
				if st.sendWin > maxWindow {
					return &connError{codeFlowControl, "a stream window over 2^31-1"}
				}
				st.wakeUp()
			}
		case settingMaxFrameSize:
			if v < maxFrame || v > 1<<24-1 {
				return protoErr("SETTINGS_MAX_FRAME_SIZE out of range")
			}
			c.peerMax = min(int(v), maxFrame)
		}
	}
	c.out = appendFrameHeader(c.out, 0, frameSettings, flagAck, 0)
	c.kickLocked()
	return nil
}

// onGoAway honours the client's GOAWAY: no stream comes after it; those
// open finish, then the connection ends.
func (c *conn) onGoAway(id uint32, p []byte) error {
	if id != 0 {
		return protoErr("GOAWAY on a stream")
	}
	if len(p) < 8 {
		return frameSizeErr("GOAWAY shorter than 8")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.draining = true
	if len(c.streams) == 0 {
		return errIdle
	}
	return nil
}

// onWindowUpdate opens a send window.
func (c *conn) onWindowUpdate(id uint32, p []byte) error {
	if len(p) != 4 {
		return frameSizeErr("WINDOW_UPDATE of a length other than 4")
	}
	inc := int64(binary.BigEndian.Uint32(p) & 0x7fffffff)
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == 0 {
		if c.fl.over(countWindowUpdates) {
			return ErrFlood
		}
		if inc == 0 {
			return protoErr("WINDOW_UPDATE of 0")
		}
		c.sendWin += inc
		if c.sendWin > maxWindow {
			return &connError{codeFlowControl, "connection window over 2^31-1"}
		}
		for _, st := range c.streams {
			if st.waitWin {
				st.wakeUp()
			}
		}
		return nil
	}
	if id > c.lastID {
		return protoErr("WINDOW_UPDATE on an idle stream")
	}
	st := c.streams[id]
	if st == nil {
		return nil // closed: ignored
	}
	if inc == 0 {
		c.resetLocked(st, codeProtocol)
		return nil
	}
	st.sendWin += inc
	if st.sendWin > maxWindow {
		c.resetLocked(st, codeFlowControl)
		return nil
	}
	st.wakeUp()
	return nil
}

// onRSTStream: the client cancels a stream; its exchange is cut.
func (c *conn) onRSTStream(id uint32, p []byte) error {
	switch {
	case len(p) != 4:
		return frameSizeErr("RST_STREAM of a length other than 4")
	case id == 0:
		return protoErr("RST_STREAM on stream 0")
	case c.fl.over(countResets):
		return ErrFlood
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if id > c.lastID {
		return protoErr("RST_STREAM on an idle stream")
	}
	if st := c.streams[id]; st != nil {
		st.cutLocked()
		c.removeLocked(st)
	}
	return nil
}

// onPriority checks a PRIORITY frame and ignores it (RFC 9113 §5.3.2).
func (c *conn) onPriority(id uint32, p []byte) error {
	if id == 0 {
		return protoErr("PRIORITY on stream 0")
	}
	if c.fl.over(countPriorities) {
		return ErrFlood
	}
	code := uint32(0)
	switch {
	case len(p) != 5:
		code = codeFrameSize
	case binary.BigEndian.Uint32(p)&0x7fffffff == id:
		code = codeProtocol // depends on itself
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.streams[id]; st != nil {
		c.resetLocked(st, code)
	} else {
		c.out = appendRSTStream(c.out, id, code)
		c.kickLocked()
	}
	return nil
}

// onData takes request body bytes, within the flow-control windows and
// the declared content-length.
func (c *conn) onData(flags byte, id uint32, p []byte) error {
	if id == 0 {
		return protoErr("DATA on stream 0")
	}
	length := len(p)
	data := p
	if flags&flagPadded != 0 {
		if length == 0 || int(p[0]) >= length {
			return protoErr("DATA padding too long")
		}
		data = p[1 : length-int(p[0])]
	}
	if length == 0 && flags&flagEndStream == 0 && c.fl.over(countEmptyData) {
		return ErrFlood
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(length) > c.recvWin {
		return &connError{codeFlowControl, "DATA over the connection window"}
	}
	c.recvWin -= int64(length)
	st := c.streams[id]
	if st == nil {
		if id > c.lastID {
			return protoErr("DATA on an idle stream")
		}
		c.grantLocked(length)
		c.out = appendRSTStream(c.out, id, codeStreamClosed)
		c.kickLocked()
		return nil
	}
	if st.remoteDone {
		c.grantLocked(length)
		c.resetLocked(st, codeStreamClosed)
		return nil
	}
	if int64(length) > st.recvWin {
		c.grantLocked(length)
		c.resetLocked(st, codeFlowControl)
		return nil
	}
	st.recvWin -= int64(length)
	st.recvd += int64(len(data))
	if st.cl >= 0 && st.recvd > st.cl {
		c.grantLocked(length)
		st.badBody = true
		c.resetLocked(st, codeProtocol) // longer than its content-length
		return nil
	}
	if pad := length - len(data); pad > 0 {
		c.grantLocked(pad)
		st.recvAck += pad
	}
	if st.discard {
		c.grantLocked(len(data))
	} else {
		st.in = append(st.in, data...)
	}
	if flags&flagEndStream != 0 {
		st.remoteDone = true
		if st.cl >= 0 && st.recvd != st.cl {
			st.badBody = true // shorter than its content-length
		}
		if st.localDone {
			c.removeLocked(st)
		}
	}
	st.wakeUp()
	return nil
}

// grantLocked gives n bytes back to the connection's receive window,
// sending WINDOW_UPDATE once a quarter of it is owed.
func (c *conn) grantLocked(n int) {
	c.recvAck += n
	if c.recvAck >= connWindow/4 && !c.dead {
		c.out = appendWindowUpdate(c.out, 0, c.recvAck)
		c.recvWin += int64(c.recvAck)
		c.recvAck = 0
		c.kickLocked()
	}
}

// onHeaders starts a header block: a new stream's request, or an open
// stream's trailers.
func (c *conn) onHeaders(flags byte, id uint32, p []byte) error {
	if id == 0 {
		return protoErr("HEADERS on stream 0")
	}
	if id&1 == 0 {
		return protoErr("HEADERS on an even stream")
	}
	frameLen := len(p) // the budget counts padding and priority too
	if flags&flagPadded != 0 {
		if len(p) == 0 {
			return protoErr("HEADERS padding missing")
		}
		pad := int(p[0])
		p = p[1:]
		if pad > len(p) {
			return protoErr("HEADERS padding too long")
		}
		p = p[:len(p)-pad]
	}
	var selfDep bool
	if flags&flagPriority != 0 {
		if len(p) < 5 {
			return frameSizeErr("HEADERS priority missing")
		}
		selfDep = binary.BigEndian.Uint32(p)&0x7fffffff == id
		p = p[5:]
	}
	h := &c.hd
	*h = headerBlock{active: true, id: id, endStream: flags&flagEndStream != 0, bytes: frameLen - len(p)}
	c.fl.cont = 0
	c.block = c.block[:0]
	c.mu.Lock()
	if st := c.streams[id]; st != nil {
		// Trailers: they end the request; their fields are dropped.
		h.trailers = true
		switch {
		case st.remoteDone:
			h.refuse = codeStreamClosed
		case !h.endStream:
			h.refuse = codeProtocol
		}
		c.mu.Unlock()
	} else if id <= c.lastID {
		c.mu.Unlock()
		return protoErr("HEADERS on a closed stream")
	} else {
		c.lastID = id
		switch {
		case c.goAway && id > c.goAwayN, len(c.streams) >= c.lim.MaxStreams, c.running >= 2*c.lim.MaxStreams:
			h.refuse = codeRefusedStream
		case selfDep:
			h.refuse = codeProtocol
		default:
			h.st = c.s.acquire(c, id)
		}
		c.mu.Unlock()
	}
	return c.fragment(flags, p)
}

// onContinuation continues the header block.
func (c *conn) onContinuation(flags byte, id uint32, p []byte) error {
	if !c.hd.active {
		return protoErr("CONTINUATION without HEADERS")
	}
	c.fl.cont++
	if c.fl.cont > c.lim.Continuations {
		return ErrFlood
	}
	return c.fragment(flags, p)
}

// fragment decodes a header block fragment, and the block once it ends.
func (c *conn) fragment(flags byte, p []byte) error {
	h := &c.hd
	h.bytes += len(p)
	if h.bytes > c.lim.MaxHeaderBlock {
		return ErrHeaderBlock
	}
	c.block = append(c.block, p...)
	if flags&flagEndHeaders == 0 {
		return nil
	}
	h.active = false
	if err := c.dec.decode(c.block); err != nil {
		return &connError{codeCompression, err.Error()}
	}
	if cap(c.block) > 8<<10 {
		c.block = nil // a large block's buffer is not kept
	}
	if h.connSpec {
		return ErrMalformed
	}
	err := c.blockDone()
	if st := c.starting; st != nil {
		c.starting = nil
		c.s.start(st)
	}
	return err
}

// blockDone acts on a whole header block.
func (c *conn) blockDone() error {
	h := &c.hd
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.trailers {
		st := c.streams[h.id]
		if st == nil {
			return nil // reset meanwhile
		}
		if h.refuse == 0 && h.malformed {
			h.refuse = codeProtocol
		}
		if h.refuse != 0 {
			c.resetLocked(st, h.refuse)
			return nil
		}
		st.remoteDone = true
		if st.cl >= 0 && st.recvd != st.cl {
			st.badBody = true
		}
		if st.localDone {
			c.removeLocked(st)
		}
		st.wakeUp()
		return nil
	}
	st := h.st
	h.st = nil
	if st != nil && h.refuse == 0 && !h.malformed && !h.tooBig {
		if !h.checkPseudo(st) {
			h.malformed = true
		}
	}
	if st == nil || h.refuse != 0 || h.malformed {
		code := h.refuse
		if code == 0 {
			code = codeProtocol
		}
		if st != nil {
			c.s.release(st)
		}
		if !c.dead {
			c.out = appendRSTStream(c.out, h.id, code)
			c.kickLocked()
		}
		return nil
	}
	st.tooBig = h.tooBig
	st.remoteDone = h.endStream
	st.endOnHeaders = h.endStream
	st.inMap = true
	c.streams[h.id] = st
	c.running++
	c.wg.Add(1)
	c.starting = st // started once mu is released
	return nil
}

// checkPseudo applies RFC 9113 §8.3.1's rules on the request
// pseudo-header fields: :method always; :scheme and a non-empty :path
// except for CONNECT, which has :authority and neither of them.
func (h *headerBlock) checkPseudo(st *stream) bool {
	if h.pseudo&pseudoMethod == 0 {
		return false
	}
	if string(st.span(st.method)) == "CONNECT" {
		return h.pseudo&pseudoAuthority != 0 && h.pseudo&(pseudoScheme|pseudoPath) == 0
	}
	return h.pseudo&(pseudoScheme|pseudoPath) == pseudoScheme|pseudoPath && st.path.b > st.path.a
}

// onField takes one decoded field of the block in progress.
func (c *conn) onField(name, value []byte) {
	h := &c.hd
	h.size += len(name) + len(value) + 32
	if h.size > c.lim.MaxHeaderBlock {
		h.tooBig = true // decoded on, for the HPACK state; not kept
		return
	}
	if h.malformed {
		return
	}
	if len(name) == 0 {
		h.malformed = true
		return
	}
	st := h.st
	if name[0] == ':' {
		var bit uint8
		switch string(name) {
		case ":method":
			bit = pseudoMethod
		case ":scheme":
			bit = pseudoScheme
		case ":path":
			bit = pseudoPath
		case ":authority":
			bit = pseudoAuthority
		}
		if bit == 0 || h.trailers || h.regular || h.pseudo&bit != 0 || !plainValue(value) {
			h.malformed = true
			return
		}
		h.pseudo |= bit
		if st != nil {
			sp := st.add(value)
			switch bit {
			case pseudoMethod:
				st.method = sp
			case pseudoScheme:
				st.scheme = sp
			case pseudoPath:
				st.path = sp
			case pseudoAuthority:
				st.authority, st.hasAuthority = sp, true
			}
		}
		return
	}
	h.regular = true
	nb := name
	var ns span
	if st != nil {
		ns = st.add(name)
		nb = st.span(ns)
	}
	if !lowerToken(nb) || !plainValue(value) {
		h.malformed = true
		return
	}
	k := h1.ClassifyHeader(nb)
	if k.HopByHop() && (k != h1.HeaderTE || string(value) != "trailers") {
		h.connSpec = true
		return
	}
	if st == nil {
		return
	}
	vs := st.add(value)
	st.raw = append(st.raw, rawField{name: ns, value: vs, kind: k})
	if k == h1.HeaderContentLength {
		if st.ncl++; st.ncl == 1 {
			if n, ok := h1.ContentLength(st.span(vs)); ok {
				st.cl = n
			}
		} else {
			st.cl = -1 // refused by the worker; nothing to enforce
		}
	}
}

// lowerToken reports a field name of token characters without upper case
// letters (RFC 9113 §8.2.1).
func lowerToken(b []byte) bool {
	for _, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			return false
		}
	}
	return h1.ValidFieldName(b)
}

// plainValue reports a field value without NUL, CR or LF, which RFC 9113
// §8.2.1 makes malformed; the rest of HTTP/1.1's value grammar is applied
// to the request (400).
func plainValue(v []byte) bool {
	for i := 0; i < len(v); i++ {
		if ch := v[i]; ch == 0 || ch == '\r' || ch == '\n' {
			return false
		}
	}
	return true
}

// resetLocked resets st with code: RST_STREAM goes out, its exchange is
// cut, and it is no longer open.
func (c *conn) resetLocked(st *stream, code uint32) {
	if !c.dead {
		c.out = appendRSTStream(c.out, st.id, code)
		c.kickLocked()
	}
	st.cutLocked()
	c.removeLocked(st)
}

// removeLocked takes a closed stream out of the open ones.
func (c *conn) removeLocked(st *stream) {
	if !st.inMap {
		return
	}
	st.inMap = false
	delete(c.streams, st.id)
	if len(c.streams) == 0 {
		c.idleSince = time.Now()
		if c.draining {
			_ = c.nc.SetReadDeadline(c.idleSince) // the reader sees it and ends
		}
	}
}

// kick wakes the writer.
func (c *conn) kick() {
	select {
	case c.wwake <- struct{}{}:
	default:
	}
}

func (c *conn) kickLocked() { c.kick() }
