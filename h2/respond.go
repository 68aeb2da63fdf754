package h2

import (
	"context"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/hpack"
)

// The response as the exchange writes it (exchange.Front's writer
// methods): heads as HEADERS, bodies as DATA within the windows.

// Context is done when the stream is reset or its connection ends. It is
// made on first use (exchanges with h2c backends).
func (st *stream) Context() context.Context {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.ctx == nil {
		st.ctx, st.cancel = context.WithCancel(context.Background())
		if st.cut {
			st.cancel()
		}
	}
	return st.ctx
}

// Holding records the exchange's backend connection, which a reset of the
// stream closes.
func (st *stream) Holding(bc *backend.Conn) {
	st.bc.Store(bc)
	if bc != nil && st.gone.Load() {
		bc.Close() // reset before the connection was recorded
	}
}

// WriteInterim relays 103 Early Hints; the server sends 100 (Continue)
// itself when the body is first waited for.
func (st *stream) WriteInterim(h *exchange.Head) error {
	if h.Status != 103 {
		return nil
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.cut || c.dead {
		return errGone
	}
	c.appendHeadersLocked(st.id, st.headLocked(h.Status, h.Fields, -1), false)
	c.flushLocked()
	return nil
}

// WriteHead writes the response head and the first body bytes: in one
// write when the windows let them go at once.
func (st *stream) WriteHead(h *exchange.Head, body []byte) error {
	end := h.Framing == exchange.NoBody || h.Framing == exchange.Length && h.ContentLength == 0
	st.remaining = -1
	if h.Framing == exchange.Length {
		st.remaining = h.ContentLength
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.cut || c.dead {
		return errGone
	}
	whole, pauses := len(c.out) == c.plain, c.pauses
	c.appendHeadersLocked(st.id, st.headLocked(h.Status, h.Fields, h.ContentLength), end)
	st.beginLocked()
	var err error
	if end {
		st.endLocked()
	} else {
		err = st.sendLocked(body, false)
	}
	if whole && st.localDone && c.pauses == pauses { // the lock held throughout: the frames since plain are this response's
		c.plain = len(c.out)
		c.batch++
	}
	c.flushLocked()
	return err
}

// WriteBody writes body bytes as DATA frames within the windows.
func (st *stream) WriteBody(p []byte) error {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	err := st.sendLocked(p, false)
	c.flushLocked()
	return err
}

// EndBody ends an unsized body: with the trailers of an h2c backend as a
// last HEADERS frame, else an empty DATA frame, each with END_STREAM.
func (st *stream) EndBody(trailers []h1.Header) error {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.localDone {
		return nil
	}
	if len(trailers) > 0 {
		if st.cut || c.dead {
			return errGone
		}
		c.appendHeadersLocked(st.id, st.headLocked(0, trailers, -1), true)
		st.endLocked()
		c.flushLocked()
		return nil
	}
	err := st.sendLocked(nil, true)
	c.flushLocked()
	return err
}

// headLocked encodes a response head (:status, the fields, content-length
// when length >= 0) or, with status 0, trailers into the stream's buffer,
// through the connection's encoder: under mu, in the order blocks are
// queued (the dynamic table's indexes depend on it).
func (st *stream) headLocked(status int, fs []h1.Header, length int64) []byte {
	e := &st.c.enc
	b := e.begin(st.hb[:0])
	if status != 0 {
		b = appendStatus(b, status)
	}
	b, st.scratch = e.appendFields(b, st.scratch, fs)
	if length >= 0 {
		b = hpack.AppendContentLength(b, length)
	}
	st.hb = b
	return b
}

// endLocked notes that the server ended its side of the stream.
func (st *stream) endLocked() {
	st.localDone = true
	if st.remoteDone {
		st.c.removeLocked(st)
	}
}

// sendLocked queues p as DATA frames, END_STREAM on the last when end is
// set or when p completes a Length body. It waits while the stream's or
// the connection's window is closed (at most front_timeout without
// progress) and while the writer is behind.
func (st *stream) sendLocked(p []byte, end bool) error {
	c := st.c
	if st.localDone {
		return nil
	}
	if st.remaining >= 0 {
		if int64(len(p)) > st.remaining {
			p = p[:st.remaining]
		}
		if int64(len(p)) == st.remaining {
			end = true
		}
	}
	for len(p) > 0 || end {
		if st.cut || c.dead {
			return errGone
		}
		if len(c.out) >= maxPending {
			c.pauses++
			c.flushLocked()
			if len(c.out) < maxPending || st.cut || c.dead {
				continue
			}
			st.waitOut = true
			c.waitOut++
			timedOut := st.wait(st.swake, c.set.FrontTimeout)
			c.waitOut--
			st.waitOut = false
			if timedOut {
				return errGone
			}
			continue
		}
		n := int64(min(len(p), c.peerMax))
		n = min(n, c.sendWin, st.sendWin)
		if len(p) > 0 && n <= 0 {
			c.pauses++
			c.flushLocked() // what is queued goes while the stream waits
			st.waitWin = true
			timedOut := st.wait(st.swake, c.set.FrontTimeout)
			st.waitWin = false
			if timedOut {
				return errGone
			}
			continue
		}
		last := end && int(n) == len(p)
		flags := byte(0)
		if last {
			flags = flagEndStream
		}
		c.out = append(appendFrameHeader(c.out, int(n), frameData, flags, st.id), p[:n]...)
		c.sendWin -= n
		st.sendWin -= n
		if st.remaining > 0 {
			st.remaining -= n
		}
		if !st.tunnel {
			st.x.CountOut(int(n))
		}
		p = p[n:]
		if last {
			st.endLocked()
			return nil
		}
	}
	return nil
}
