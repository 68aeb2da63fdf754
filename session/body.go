package session

import (
	"io"
	"time"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// body is the reading side of a request body: how much of a
// content-length body is left, or where a chunked one stands. The bytes
// after the body (a pipelined request) stay in the session's buffer.
type body struct {
	sized  bool
	left   int64             // sized: payload bytes still to read
	chunks h1.ChunkedScanner // chunked: the framing so far
	pend   []byte            // chunked: decoded bytes not yet returned (in s.buf, before s.r)
	fin    bool              // chunked: the last chunk and trailers are read
	// chunkOut is set when the response body is chunked by the session
	// (a body of unknown length that came decoded).
	chunkOut bool
}

func (b *body) start(r *h1.Request) {
	b.sized, b.left, b.pend, b.fin = !r.Chunked, max(r.ContentLength, 0), nil, false
	if r.Chunked {
		b.chunks.Reset()
	}
}

// InitialBody returns the body bytes that came with the head, decoded.
func (s *Session) InitialBody() (p []byte, done bool, err error) {
	b := &s.hs.body
	if b.sized {
		k := int(min(b.left, int64(s.w-s.r)))
		p = s.buf[s.r : s.r+k]
		s.r += k
		b.left -= int64(k)
		s.hs.x.CountIn(k)
		return p, b.left == 0, nil
	}
	n, m, fin, err := b.chunks.Decode(s.buf[s.r:s.w])
	if err != nil {
		return nil, false, exchange.ErrBadBody
	}
	p = s.buf[s.r : s.r+m]
	s.r += n
	b.fin = fin
	s.hs.x.CountIn(n)
	return p, fin, nil
}

// ReadBody reads the next body bytes into p (the upload goroutine calls
// it; it owns the client read side and s.buf meanwhile).
func (s *Session) ReadBody(p []byte) (int, error) {
	b := &s.hs.body
	if b.sized {
		if b.left == 0 {
			return 0, io.EOF
		}
		p = p[:min(int64(len(p)), b.left)]
		var n int
		if s.r < s.w {
			n = copy(p, s.buf[s.r:s.w])
			s.r += n
		} else {
			var err error
			if n, err = s.readClient(p); n == 0 {
				return 0, err
			}
		}
		b.left -= int64(n)
		return n, nil
	}
	for len(b.pend) == 0 {
		if b.fin {
			return 0, io.EOF
		}
		if s.r == s.w {
			n, err := s.readClient(s.buf)
			if n == 0 {
				return 0, err
			}
			s.r, s.w = 0, n
		}
		n, m, fin, err := b.chunks.Decode(s.buf[s.r:s.w])
		b.pend = s.buf[s.r : s.r+m]
		s.r += n
		b.fin = fin
		if err != nil {
			return 0, exchange.ErrBadBody
		}
	}
	n := copy(p, b.pend)
	b.pend = b.pend[n:]
	return n, nil
}

// readClient reads the client within front_timeout, unless the body's
// reading was stopped (StopBody); the bytes count as the exchange's.
func (s *Session) readClient(p []byte) (int, error) {
	_ = s.cl.Conn.SetReadDeadline(time.Now().Add(s.set.FrontTimeout))
	if s.bodyStop.Load() { // after the deadline: StopBody's comes later, or is seen here
		return 0, errStopped
	}
	n, err := s.sock.Read(p)
	s.hs.x.CountIn(n)
	if n == 0 && err == io.EOF {
		err = io.ErrUnexpectedEOF // the client closed inside its body
	}
	return n, err
}

// StopBody makes a body read in progress, or the next one, fail.
func (s *Session) StopBody() {
	s.bodyStop.Store(true)
	_ = s.cl.Conn.SetReadDeadline(time.Unix(1, 0))
}

type stopError struct{}

func (stopError) Error() string { return "session: request body no longer read" }

var errStopped error = stopError{}
