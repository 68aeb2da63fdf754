package session

import (
	"errors"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// responseExchange reads a backend's response and streams it to the client.
type responseExchange struct {
	s          *Session
	c          *backend.Cluster
	bc         *backend.Conn
	cs         *backend.Settings
	up         *upload // nil when the request body went out with the head
	replayable bool    // the request may be sent again on a fresh connection
	out        []byte  // the request as sent, for a replay

	bufp *[]byte
	buf  []byte
	n    int // bytes in buf
	// pre is set when the request went out with the first read of its
	// answer: preN bytes (at the start of buf) and preErr are that read's
	// result, for readHead to take as its first read.
	pre    bool
	preN   int
	preErr error
}

// release gives the response buffer back.
func (x *responseExchange) release() {
	x.s.env.putBuf(x.bufp)
	x.bufp, x.buf = nil, nil
}

// run completes the exchange. It reports whether the client connection
// stays open.
func (x *responseExchange) run(upgrade []byte) bool {
	s := x.s
	defer x.release()

	if ok, keep := x.readHead(); !ok {
		return keep
	}
	s.m.answered, s.m.status = true, s.resp.Status
	s.cookieFor = ""
	if s.sticky && s.stickyMatch != x.bc.Backend {
		s.cookieFor = x.bc.Backend.StickyID()
	}
	resp := s.resp
	if resp.Status == 101 {
		if upgrade == nil {
			x.bc.Close()
			x.finishUpload(true)
			return s.fail(502, x.cs, "reading response", errors.New("unrequested 101 response"), false)
		}
		return x.tunnel(upgrade)
	}
	framing := resp.Framing(s.head)
	keep := s.req.KeepAlive && framing != h1.FramingUntilClose && !s.ln.conns.Closing()
	if x.up != nil && !x.up.bodyRead() {
		// Answered before the request body is in (an early answer, or a
		// refused Expect: 100-continue): say the connection will close,
		// since the rest of the body may never come (RFC 9110 §10.1.1).
		keep = false
	}

	var (
		initial   = x.buf[resp.HeadLen:x.n]
		remaining int64
		complete  = true
		chunks    h1.ChunkedScanner
	)
	switch framing {
	case h1.FramingNone:
		initial = initial[:0]
	case h1.FramingLength:
		k := min(resp.ContentLength, int64(len(initial)))
		initial = initial[:k]
		remaining = resp.ContentLength - k
		complete = remaining == 0
	case h1.FramingChunked:
		k, fin, err := chunks.Scan(initial)
		if err != nil {
			x.bc.Close()
			x.finishUpload(true)
			return s.fail(502, x.cs, "reading response body", err, false)
		}
		initial = initial[:k]
		complete = fin
	case h1.FramingUntilClose:
		complete = false
	}
	reusable := resp.KeepAlive && framing != h1.FramingUntilClose &&
		resp.HeadLen+len(initial) == x.n // nothing unasked after the response

	out := s.appendResponseHead(s.out(), keep, nil)
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
	var werr error
	var n, k int
	if len(initial) <= 4096 {
		out = append(out, initial...)
		n, werr = s.sock.Write(out)
	} else if n, werr = s.sock.Write(out); werr == nil {
		k, werr = s.sock.Write(initial)
	}
	s.m.out += int64(n + k)
	*s.outp = out[:cap(out)]
	if werr != nil {
		s.m.clientErr(metrics.ClientReset)
		x.bc.Close()
		x.finishUpload(true)
		return false
	}
	if !complete {
		var ok bool
		switch framing {
		case h1.FramingLength:
			ok = x.copyLength(remaining)
		case h1.FramingChunked:
			ok = x.copyChunked(&chunks)
		default:
			x.copyUntilClose()
			ok = false
		}
		if !ok {
			x.bc.Close()
			x.finishUpload(true)
			return false
		}
	}
	if !x.finishUpload(false) {
		keep, reusable = false, false
	}
	if reusable && !x.cs.SendProxy { // a send_proxy connection names its client: never shared
		x.bc.Backend.PutIdle(x.bc, time.Now())
	} else {
		x.bc.Close()
	}
	return keep
}

// readHead reads the response head into s.resp, relaying interim (1xx)
// responses other than 101. On failure (ok false) it has answered the
// client, and keep says whether the client connection stays open.
func (x *responseExchange) readHead() (ok, keep bool) {
	s := x.s
	relayed := false // an interim response went to the client
	for {
		if x.n > 0 {
			s.resp.Reset()
			_, perr := h1.ParseResponse(x.buf[:x.n], s.resp, responseLimits)
			if perr == nil {
				st := s.resp.Status
				if st >= 200 || st == 101 {
					return true, false
				}
				// Interim response: relay it as received and read on.
				hl := s.resp.HeadLen
				_ = s.conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
				s.m.out += int64(hl)
				if _, err := s.sock.Write(x.buf[:hl]); err != nil {
					x.bc.Close()
					x.finishUpload(true)
					return false, false
				}
				relayed = true
				x.n = copy(x.buf, x.buf[hl:x.n])
				continue
			}
			if perr == h1.ErrIncomplete && x.n == len(x.buf) {
				perr = errors.New("response head too large")
			}
			if perr != h1.ErrIncomplete {
				// On a pooled connection, bytes that are no response may be
				// left over from a backend's earlier, mis-framed answer.
				if !relayed && x.retryFresh() {
					continue
				}
				if x.bc == nil { // retryFresh found no backend
					return false, s.fail(503, x.cs, "reconnecting", perr, true)
				}
				x.bc.Close()
				x.finishUpload(true)
				return false, s.fail(502, x.cs, "parsing response", perr, x.up == nil)
			}
		}
		var k int
		var err error
		if x.pre { // read with the request's write
			x.pre = false
			k, err = x.preN, x.preErr
		} else {
			_ = x.bc.SetReadDeadline(time.Now().Add(s.set.BackTimeout))
			k, err = x.bc.Read(x.buf[x.n:])
		}
		if k > 0 && s.m.on {
			if s.m.first.IsZero() {
				s.m.first = time.Now()
			}
			s.m.recvB += int64(k)
		}
		x.n += k
		if k > 0 || err == nil {
			continue
		}
		// The pooled connection was closed by the server while idle.
		if x.n == 0 && !relayed && x.retryFresh() {
			continue
		}
		if x.bc == nil { // retryFresh found no backend
			return false, s.fail(503, x.cs, "reconnecting", err, true)
		}
		x.bc.Close()
		x.finishUpload(true)
		switch {
		case x.up != nil && x.up.err == errBadBody:
			s.answer(400, nil, true, x.cs.Answers)
			return false, false
		case x.up != nil && x.up.err == errTooLarge:
			s.answer(413, nil, true, x.cs.Answers)
			return false, false
		case isTimeout(err):
			return false, s.fail(504, x.cs, "awaiting response", err, x.up == nil)
		default:
			return false, s.fail(502, x.cs, "reading response", err, x.up == nil)
		}
	}
}

// retryFresh sends a replayable request again, once, on a fresh connection
// after its pooled connection failed before any response. It reports
// whether it did; on false the caller answers the failure. When no fresh
// connection could be made, x.bc is nil.
func (x *responseExchange) retryFresh() bool {
	if !x.bc.Reused || !x.replayable {
		return false
	}
	s := x.s
	x.replayable = false
	x.bc.Close()
	x.n = 0
	if x.bc = s.redial(x.c, x.bc.Backend); x.bc == nil {
		return false
	}
	_ = x.bc.SetDeadline(time.Now().Add(s.set.BackTimeout))
	if _, err := x.bc.Write(x.out); err != nil {
		return false // the caller closes x.bc and answers 502
	}
	return true
}

// finishUpload waits for the request body upload, stopping it first when
// abort is set or when it is still reading the body (the response ended
// before the request body). It reports whether the body went out whole;
// true when there was no upload.
func (x *responseExchange) finishUpload(abort bool) bool {
	up := x.up
	if up == nil {
		return true
	}
	if !up.waited {
		up.waited = true
		select {
		case <-up.done:
		default:
			// Still running: if it has read the whole body it is only
			// finishing its last write (bounded by the back timeout), so
			// wait for it; else the body will not be needed, stop it.
			if abort || !up.bodyRead() {
				up.stopped = true
				_ = x.s.conn.SetReadDeadline(time.Unix(1, 0))
			}
			<-up.done
		}
		x.s.m.in += up.sent // the body bytes, as read and passed on
		x.s.m.sentB += up.sent
	}
	return up.err == nil && !up.stopped && !abort
}
