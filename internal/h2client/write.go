package h2client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
)

// What the client writes: a request's head (HEADERS and CONTINUATION),
// its body (DATA, as the send windows allow), and the frames of control
// (WINDOW_UPDATE, RST_STREAM, SETTINGS and PING acknowledgements).

func atomic32Add(p *uint32, d uint32) { atomic.AddUint32(p, d) }

// writeHeaders encodes r's head and writes it as HEADERS (and
// CONTINUATION frames if it is larger than the backend's frame size);
// wmu is held. It does not flush.
func (c *Conn) writeHeaders(id uint32, r *Request, endStream bool) error {
	var block []byte
	block, c.lname = appendBlock(c.hbuf[:0], c.lname, r)
	c.hbuf = block[:0]
	first := true
	for first || len(block) > 0 {
		frag := block
		if len(frag) > int(c.maxFrame) {
			frag = frag[:c.maxFrame]
		}
		block = block[len(frag):]
		var err error
		if first {
			err = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag,
				EndStream: endStream, EndHeaders: len(block) == 0})
			first = false
		} else {
			err = c.fr.WriteContinuation(id, len(block) == 0, frag)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// lockWrite takes the writers' lock, counted in c.queued while it waits.
// Once it holds the lock, the connection's write deadline is at least
// half of WriteTimeout away (moved only when it is closer: one clock
// reading per write, a deadline set now and then).
func (c *Conn) lockWrite() {
	c.queued.Add(1)
	c.wmu.Lock()
	c.queued.Add(-1)
	if now := time.Now().UnixNano(); now > c.wdeadline-int64(c.cfg.WriteTimeout/2) {
		c.wdeadline = now + int64(c.cfg.WriteTimeout)
		c.nc.SetWriteDeadline(time.Unix(0, c.wdeadline))
	}
}

// flushLocked flushes what the writers wrote unless another one waits
// for the lock: it will flush both (taken with lockWrite, it flushes
// with flushLocked), so that streams written at once go out in one
// system call.
func (c *Conn) flushLocked() error {
	if c.queued.Load() > 0 {
		return nil
	}
	return c.bw.Flush()
}

// unlockWrite releases the writers' lock, taken with lockWrite, of a
// writer that wrote nothing: it still flushes what the one before it
// left unflushed for it.
func (c *Conn) unlockWrite() {
	err := c.flushLocked()
	c.wmu.Unlock()
	if err != nil {
		c.fail(err)
	}
}

// writeControl writes one control frame and flushes it; a failure ends
// the connection.
func (c *Conn) writeControl(write func() error) {
	c.lockWrite()
	err := write()
	if err == nil {
		err = c.flushLocked()
	}
	c.wmu.Unlock()
	if err != nil {
		c.fail(err)
	}
}

// sendBody copies the request body into DATA frames, as the send windows
// allow, and ends the stream after it. It runs in a goroutine of its own,
// started by Open, which ends when the body is sent or the stream fails
// (or is closed), closing body if it is an io.Closer.
func (s *Stream) sendBody(body io.Reader, length int64) {
	// The end of the stream's context wakes writeData's wait for a window.
	c := s.c
	stop := context.AfterFunc(s.ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	defer func() {
		if cl, ok := body.(io.Closer); ok {
			cl.Close()
		}
	}()
	buf := make([]byte, 16<<10)
	sent := int64(0)
	for {
		n, rerr := body.Read(buf)
		if rerr != nil && rerr != io.EOF {
			s.failBody(rerr)
			return
		}
		sent += int64(n)
		if length >= 0 && sent > length {
			s.failBody(errors.New("h2client: request body longer than its content-length"))
			return
		}
		if rerr == io.EOF && length >= 0 && sent < length {
			s.failBody(fmt.Errorf("h2client: request body shorter than its content-length: %w", io.ErrUnexpectedEOF))
			return
		}
		if rerr == nil && length >= 0 && sent == length {
			// The whole length is in: one more read lets the Body see its
			// end (its io.EOF, as net/http's transport reads it) before
			// the END_STREAM goes, and the backend can answer.
			var one [1]byte
			k, err := body.Read(one[:])
			switch {
			case k > 0:
				s.failBody(errors.New("h2client: request body longer than its content-length"))
				return
			case err != nil && err != io.EOF:
				s.failBody(err)
				return
			}
			rerr = io.EOF
		}
		end := rerr == io.EOF
		if n == 0 && !end {
			continue
		}
		if err := s.writeData(buf[:n], end); err != nil || end {
			return // on an error, the stream or the connection failed: Head and Read say why
		}
	}
}

// failBody resets the stream for its body's error err.
func (s *Stream) failBody(err error) {
	c := s.c
	c.mu.Lock()
	rst := !s.reset && !c.closed
	s.reset = true
	if s.bodyErr == nil {
		s.bodyErr = err
	}
	s.notify()
	c.mu.Unlock()
	if rst {
		c.writeControl(func() error { return c.fr.WriteRSTStream(s.id, http2.ErrCodeCancel) })
	}
}

// writeData writes p as DATA frames as the stream's and the connection's
// send windows open, the last one with END_STREAM if end. It fails when
// the stream fails or is closed meanwhile, its context ends, or when the
// backend has ended its response (the rest of the body is then not wanted).
func (s *Stream) writeData(p []byte, end bool) error {
	c := s.c
	for {
		c.mu.Lock()
		for !s.closed && s.err == nil && !s.reset && !s.endRecv && s.ctx.Err() == nil && len(p) > 0 && (s.sendWin <= 0 || c.sendWin <= 0) {
			c.cond.Wait()
		}
		c.mu.Unlock()
		// The windows are taken under both locks (writers' first), so
		// that no other stream takes the connection's meanwhile.
		c.lockWrite()
		c.mu.Lock()
		if s.closed || s.err != nil || s.reset || s.endRecv || s.ctx.Err() != nil {
			c.mu.Unlock()
			c.unlockWrite()
			return errStreamClosed
		}
		n := min(int64(len(p)), s.sendWin, c.sendWin, int64(c.maxFrame))
		if n <= 0 && len(p) > 0 {
			c.mu.Unlock()
			c.unlockWrite()
			continue
		}
		last := end && n == int64(len(p))
		s.sendWin -= n
		c.sendWin -= n
		if last {
			s.endSent = true
		}
		c.mu.Unlock()
		err := c.fr.WriteData(s.id, last, p[:n])
		if err == nil {
			err = c.flushLocked()
		}
		c.wmu.Unlock()
		if err != nil {
			c.fail(err)
			return err
		}
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
	}
}
