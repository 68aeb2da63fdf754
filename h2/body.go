package h2

import (
	"io"

	"github.com/sluiceproxy/sluice/exchange"
)

// The request body as the exchange reads it (exchange.Front's body
// methods): a small declared body read whole first, larger ones streamed
// from the DATA the frame loop holds.

// smallBody is the largest declared request body read whole before the
// backend is contacted.
const smallBody = 8 << 10

// readSmallBody waits for a body of a declared length up to smallBody,
// before the request is served, so that a body that disagrees with its
// content-length (shorter, longer, or DATA after content-length: 0) is
// refused without reaching a backend, and the request goes out in one
// write. It waits for it at most request_timeout. Larger bodies stream.
func (st *stream) readSmallBody() error {
	if st.endOnHeaders || st.cl < 0 || st.cl > smallBody {
		return nil
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for !st.remoteDone && !st.cut {
		st.continueLocked()
		if st.wait(st.rwake, st.x.Set.RequestTimeout) {
			return errBodyTimeout
		}
	}
	switch {
	case st.cut:
		return errGone
	case st.badBody:
		return errBadLength
	}
	st.small = true
	return nil
}

// continueLocked sends 100 (Continue) to a client that waits for it before
// its body: once, when the body is first waited for.
func (st *stream) continueLocked() {
	if !st.expect || st.sent100 || st.rd < len(st.in) || st.c.dead {
		return
	}
	st.sent100 = true
	st.c.appendHeadersLocked(st.id, st.headLocked(100, nil, -1), false)
	st.c.kickLocked()
}

// InitialBody returns the body bytes received so far: a small body whole
// (see readSmallBody), or the start of a larger one, which then streams
// (ReadBody).
func (st *stream) InitialBody() ([]byte, bool, error) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	p := st.in[st.rd:]
	st.rd = len(st.in)
	st.consumedLocked(len(p))
	if st.badBody {
		return nil, false, exchange.ErrBadBody
	}
	return p, st.remoteDone, nil
}

// ReadBody reads the stream's DATA. A body that breaks its content-length
// fails the read (the reader has reset a longer one already): the
// exchange then ends at once.
func (st *stream) ReadBody(p []byte) (int, error) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case st.stopped:
			return 0, errStopped
		case st.badBody:
			return 0, exchange.ErrBadBody
		case st.rd < len(st.in):
			return st.takeLocked(p), nil
		case st.remoteDone:
			return 0, io.EOF
		case st.cut || c.dead:
			return 0, errGone
		}
		st.continueLocked()
		st.wait(st.rwake, 0)
	}
}

// StopBody makes a body read in progress, or the next one, fail; the
// body's bytes are dropped from then on.
func (st *stream) StopBody() {
	c := st.c
	c.mu.Lock()
	st.stopped, st.discard = true, true
	if unread := len(st.in) - st.rd; unread > 0 {
		c.grantLocked(unread)
		st.in, st.rd = st.in[:0], 0
	}
	st.wakeUp()
	c.mu.Unlock()
}

// TakesChunked: HTTP/2 has no chunked framing; bodies come decoded.
func (st *stream) TakesChunked() bool { return false }

// takeLocked copies into p what the client sent and the reader has not
// taken yet, and lets the window grow by it. c.mu is held.
func (st *stream) takeLocked(p []byte) int {
	n := copy(p, st.in[st.rd:])
	st.rd += n
	if st.rd == len(st.in) {
		st.in, st.rd = st.in[:0], 0
	}
	st.consumedLocked(n)
	return n
}
