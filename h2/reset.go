package h2

import (
	"encoding/binary"
	"time"
)

// Ending streams and the connection's orderly end: RST_STREAM from the
// client, PRIORITY checked (and ignored), GOAWAY both ways and the drain,
// and the resets the server sends.

// drain sends GOAWAY: the streams open finish, later ones are refused, and
// the connection ends once none is left.
func (c *conn) drain() {
	c.spot.Lock()
	defer c.spot.Unlock()
	if c.parked { // its end sends GOAWAY: in a goroutine, as a write may take a while
		c.parked = false
		c.spot.Unpark(c.s.parking.Poller, c.prc)
		go c.end(errIdle)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return
	}
	c.goAwayLocked()
	if len(c.streams) == 0 {
		c.setReadDeadline(time.Now()) // the reader sees it and ends
	}
}

// goAwayLocked starts the drain under c.mu: GOAWAY naming the last stream
// the client opened (it and those before it finish, later ones are
// refused), once; the connection ends when no stream is left.
func (c *conn) goAwayLocked() {
	c.draining = true
	if !c.goAway {
		c.goAway, c.goAwayN = true, c.lastID
		c.out = appendGoAway(c.out, c.lastID, codeNo)
		c.kickLocked()
	}
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
			c.setReadDeadline(c.idleSince) // the reader sees it and ends
		}
	}
}
