package h2

import (
	"runtime"
	"time"
)

// Writing: every frame for the client is appended, under the connection's
// lock, to one queue (conn.out), and one goroutine per connection, the
// writer, sends the queue with one TLS write at a time, swapping it with a
// spare buffer so that streams append while it writes. A response's
// HEADERS and first DATA are appended together and so leave in one write;
// under load the frames of many streams share one. A stream appends at
// most one frame of DATA (16 KiB) at a time, within the windows, and waits
// while more than maxPending bytes are queued, so streams take turns and
// a client that reads slowly stops its streams' backend reads.

// writeLoop is the writer. It runs while there is something to write or
// streams in flight (kickLocked starts it), and ends once nothing is
// queued and no stream runs, so that an idle connection holds no writer.
func (c *conn) writeLoop() {
	defer c.ww.Done()
	c.mu.Lock()
	for {
		if len(c.out) == 0 || c.writing {
			if !c.writing && (c.wclosed || c.running == 0) {
				break
			}
			c.mu.Unlock()
			<-c.wwake
			c.mu.Lock()
			continue
		}
		if !c.wclosed && !c.yielded && c.running > 1 {
			// Let the goroutines that are ready run first: other
			// streams of this connection finishing their responses add
			// to the same write.
			c.yielded = true
			c.mu.Unlock()
			runtime.Gosched()
			c.mu.Lock()
			continue
		}
		if c.holdLocked() {
			continue
		}
		c.yielded = false
		if !c.writeLocked() {
			break
		}
	}
	c.writerOn = false
	c.parkSoonLocked()
	c.mu.Unlock()
}

// writeLocked sends what is queued, with the lock released meanwhile; it
// reports false when the write failed (the connection then ends).
func (c *conn) writeLocked() bool {
	c.writing = true
	buf := c.out
	c.out, c.spare = c.spare[:0], nil
	c.batch, c.plain, c.held = 0, 0, false
	if c.cool > 0 {
		c.cool--
	}
	closing := c.wclosed
	c.mu.Unlock()
	// The deadline is front_timeout, set again only once a quarter of it
	// has passed: a write that stalls fails after 3/4 to all of it.
	d := c.set.FrontTimeout
	now := time.Now()
	if closing {
		d = min(d, time.Second) // the last frames of a connection ending
		c.wdl = time.Time{}
	}
	if c.wdl.Sub(now) < d-d/4 {
		c.wdl = now.Add(d)
		_ = c.nc.SetWriteDeadline(c.wdl)
	}
	n, err := c.nc.Write(buf)
	if c.m != nil {
		c.m.BytesOut.Add(int64(n))
	}
	c.mu.Lock()
	c.writing = false
	if cap(buf) > 256<<10 {
		buf = nil // a burst's buffer is not kept
	}
	c.spare = buf[:0]
	if err != nil {
		// The client is gone or stalled past front_timeout: every
		// stream ends, and the reader fails on the closed socket.
		c.dead, c.wclosed = true, true
		c.out = c.out[:0]
		for _, st := range c.streams {
			st.cutLocked()
		}
		_ = c.raw.Close()
		c.kickLocked() // the writer ends
		return false
	}
	if c.waitOut > 0 {
		for _, st := range c.streams {
			if st.waitOut {
				st.wakeUp()
			}
		}
	}
	return true
}

// flushLocked sends what a stream queued: from the stream's own goroutine
// when it is the connection's only stream in flight and no write is in
// progress (a goroutine switch less per request), else through the
// writer.
func (c *conn) flushLocked() {
	if len(c.out) == 0 {
		return
	}
	if c.writing || c.wclosed || c.running > 1 {
		c.kickLocked()
		return
	}
	if c.writeLocked() && (len(c.out) > 0 || c.wclosed) {
		c.kickLocked() // queued meanwhile, or the writer waits to end
	}
}

// appendHeadersLocked queues a header block as HEADERS and CONTINUATION
// frames of at most the client's frame size; the caller sends them
// (flushLocked, kick).
func (c *conn) appendHeadersLocked(id uint32, block []byte, end bool) {
	flags := byte(0)
	if end {
		flags = flagEndStream
	}
	typ := byte(frameHeaders)
	for {
		n := min(len(block), c.peerMax)
		f := flags
		if n == len(block) {
			f |= flagEndHeaders
		}
		c.out = append(appendFrameHeader(c.out, n, typ, f, id), block[:n]...)
		block = block[n:]
		if len(block) == 0 {
			break
		}
		typ, flags = frameContinuation, 0
	}
}

// kickLocked wakes the writer, or starts it when frames are queued and
// it is not running (under mu). Once the connection's end waits for the
// writer, none starts.
func (c *conn) kickLocked() {
	if c.writerOn {
		select {
		case c.wwake <- struct{}{}:
		default:
		}
		return
	}
	if c.wfinal || len(c.out) == 0 {
		return
	}
	c.writerOn = true
	c.ww.Add(1)
	go c.writeLoop()
}
