package h2

import (
	"encoding/binary"
	"errors"
	"os"
	"time"
)

// The frame loop: the client's preface, then one frame at a time read
// into the connection's buffer and handed to its handler (conn.go starts it;
// the handlers are in control.go, flow.go, headers.go, data.go and
// reset.go). The read deadline decides how long a connection without
// streams is kept.

func (c *conn) readPreface() error {
	c.setReadDeadline(time.Now().Add(c.set.RequestTimeout))
	if err := c.fill(len(preface)); err != nil {
		return err
	}
	if string(c.rbuf[c.r:c.r+len(preface)]) != preface {
		return protoErr("bad client preface")
	}
	c.r += len(preface)
	c.started = true
	c.mu.Lock()
	c.mayIdle = true
	drained := c.draining // by a Drain that came before the connection ran: its GOAWAY is queued
	c.mu.Unlock()
	if drained {
		return errIdle
	}
	c.setReadDeadline(time.Now().Add(c.keepAlive()))
	return nil
}

// errIdle ends a connection that waited keepalive_timeout without a
// stream, or that has no stream left once draining.
var errIdle = errors.New("h2: connection idle")

// fill reads until rbuf[r:w] holds n bytes. A connection waits for the
// client with no read buffer of its own: the first bytes come into tiny,
// and a buffer is taken from the pool once they are there (an idle HTTP/2
// connection holds its TLS state, not a frame buffer). An idle connection
// silent for Parking.After parks instead (errParked, see park.go).
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
			c.mayPark()
		}
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
			if c.rbuf == nil && c.canPark() && c.park() {
				return errParked
			}
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
		c.setReadDeadline(now.Add(c.keepAlive()))
		return true
	case c.draining:
		return false
	}
	if idle := now.Sub(c.idleSince); idle < c.keepAlive() {
		dl := c.idleSince.Add(c.keepAlive())
		if c.canPark() && now.Add(c.s.parking.After).Before(dl) {
			dl = now.Add(c.s.parking.After) // try parking again then
		}
		c.setReadDeadline(dl)
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
