package h2client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/net/http2"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// Field is a header field of a response (or of its trailers).
type Field struct {
	Name, Value string
}

// Request is what Open sends. Its byte slices are read only while Open
// runs (the head is encoded then). Fields holds the regular fields (names
// in any case: they go lower-cased; the fields RFC 9113 §8.2.2 forbids
// are left out, as are Host and Content-Length: Authority is :authority,
// ContentLength the body's length), Kind unused; the caller checked them
// (no CR, LF or NUL).
type Request struct {
	Method, Scheme, Authority, Path []byte
	Fields                          []h1.Header
	// Body, if not nil, is sent after the head by a goroutine of the
	// stream's (as the backend's flow control allows), until it returns
	// io.EOF; if it is an io.Closer, it is closed when the stream stops
	// reading it, or by Open when Open fails. A Body error other than io.EOF resets the stream; Head
	// and Read then return it wrapped.
	Body io.Reader
	// ContentLength is the body's length, or -1 when unknown; sent as
	// content-length when known and the body is not nil.
	ContentLength int64
}

// Response is a response head (interim or final) or trailers.
type Response struct {
	Status int
	// Fields are the regular fields in the backend's order; the strings
	// are the caller's to keep.
	Fields []Field
	// ContentLength is the content-length the backend gave, or -1.
	ContentLength int64
}

// Stream is one request and its response. Head and Read are for one
// goroutine at a time; Close may be called from any.
type Stream struct {
	c   *Conn
	id  uint32
	ctx context.Context

	// Under c.mu:
	sendWin int64
	// recvWin is what the backend may still send on the stream;
	// recvCredit the credit taken by reads not granted back yet.
	recvWin, recvCredit int
	buf                 []byte // body bytes in, not read yet: buf[r:]
	r                   int
	heads               []*Response // heads in, not taken by Head yet
	final               bool        // the final head is in
	interims            int
	remain              int64 // the response's content-length left, or -1
	trailers            []Field
	endRecv             bool  // the backend's END_STREAM is in
	endSent             bool  // ours went out
	reset               bool  // a RST_STREAM went either way
	err                 error // why the stream failed
	bodyErr             error // the request body's error, when it failed the stream
	closed              bool  // Close was called
	headReq             bool  // the request is a HEAD: its response has no content

	ready chan struct{} // something for Head or Read (buffered 1)
}

func (s *Stream) notify() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// failLocked fails s with err unless it is over.
func (s *Stream) failLocked(err error) {
	if s.err != nil || s.endRecv && s.endSent {
		return
	}
	s.err = err
	s.notify()
}

// Open sends r on a stream the caller reserved (Reserve) and returns it.
// ctx bounds the waits of Head, Read and the body's sending (its end
// fails them with its error). The caller must Close the stream.
func (c *Conn) Open(ctx context.Context, r *Request) (*Stream, error) {
	s := &Stream{c: c, ctx: ctx, remain: -1, recvWin: int(c.cfg.StreamWindow), ready: make(chan struct{}, 1),
		headReq: string(r.Method) == "HEAD"}
	body := r.Body
	// A body not sent is closed all the same (Request.Body).
	closeBody := func() {
		if cl, ok := body.(io.Closer); ok {
			cl.Close()
		}
	}
	c.lockWrite()
	c.mu.Lock()
	if c.reserved <= 0 {
		c.mu.Unlock()
		c.unlockWrite()
		closeBody()
		return nil, fmt.Errorf("%w: %w", ErrUnprocessed, ErrNoStream)
	}
	c.reserved--
	if c.closed || c.goAway || c.nextID > maxStreamID {
		err := c.err
		if err == nil {
			err = ErrNoStream
		}
		shut := c.endedLocked()
		c.mu.Unlock()
		c.unlockWrite()
		if shut {
			c.shut()
		}
		closeBody()
		return nil, fmt.Errorf("%w: %w", ErrUnprocessed, err)
	}
	s.id = c.nextID
	atomic32Add(&c.nextID, 2)
	s.sendWin = int64(c.peerWin)
	c.streams[s.id] = s
	c.lastOpened = s.id
	s.endSent = body == nil
	c.mu.Unlock()
	err := c.writeHeaders(s.id, r, body == nil)
	c.wmu.Unlock()
	if err == nil {
		c.flushSoon()
	}
	if err != nil {
		c.fail(err)
		s.Close()
		closeBody()
		return nil, fmt.Errorf("%w: sending the request head: %w", ErrUnprocessed, err)
	}
	if body != nil {
		go s.sendBody(body, r.ContentLength)
	}
	return s, nil
}

// Head waits for the next response head until timeout (then it fails
// with context.DeadlineExceeded) or the stream's context ends: interim
// (1xx) heads, if any, come first, then the final one.
func (s *Stream) Head(timeout time.Duration) (*Response, error) {
	var t *time.Timer
	var tc <-chan time.Time
	c := s.c
	for {
		c.mu.Lock()
		if len(s.heads) > 0 {
			h := s.heads[0]
			s.heads = s.heads[1:]
			c.mu.Unlock()
			if t != nil {
				t.Stop()
			}
			return h, nil
		}
		err := s.errLocked()
		c.mu.Unlock()
		if err != nil {
			if t != nil {
				t.Stop()
			}
			return nil, err
		}
		if t == nil {
			t = time.NewTimer(timeout)
			tc = t.C
		}
		select {
		case <-s.ready:
		case <-s.ctx.Done():
			t.Stop()
			return nil, s.ctx.Err()
		case <-tc:
			return nil, fmt.Errorf("h2client: no response head within %v: %w", timeout, context.DeadlineExceeded)
		}
	}
}

// errLocked is the error a wait on s ends with: the body's, the stream's,
// or an end without a final head.
func (s *Stream) errLocked() error {
	switch {
	case s.bodyErr != nil:
		return s.bodyErr
	case s.err != nil:
		return s.err
	case s.endRecv && !s.final:
		return &StreamError{Code: http2.ErrCodeProtocol, Reason: "stream ended without a final response head"}
	}
	return nil
}

// Read reads the response body; io.EOF once it is whole (then Trailers
// has the trailers, if any). A body shorter than its content-length ends
// with io.ErrUnexpectedEOF.
func (s *Stream) Read(p []byte) (int, error) {
	c := s.c
	for {
		c.mu.Lock()
		if n := len(s.buf) - s.r; n > 0 {
			n = copy(p, s.buf[s.r:])
			s.r += n
			if s.r == len(s.buf) {
				s.buf, s.r = s.buf[:0], 0
			}
			grant := 0
			if !s.endRecv && !s.reset {
				s.recvCredit += n
				if s.recvCredit >= int(c.cfg.StreamWindow)/4 {
					grant = s.recvCredit
					s.recvWin += grant
					s.recvCredit = 0
				}
			}
			c.mu.Unlock()
			if grant > 0 {
				c.writeControl(func() error { return c.fr.WriteWindowUpdate(s.id, uint32(grant)) })
			}
			return n, nil
		}
		if s.endRecv {
			short := s.remain > 0
			c.mu.Unlock()
			if short {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, io.EOF
		}
		err := s.errLocked()
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		select {
		case <-s.ready:
		case <-s.ctx.Done():
			return 0, s.ctx.Err()
		}
	}
}

// Trailers are the response's trailers, once Read returned io.EOF.
func (s *Stream) Trailers() []Field {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.trailers
}

// Close ends the stream: one not over both ways is reset (CANCEL) and its
// body's sending stops. It gives the stream's slot back.
func (s *Stream) Close() {
	c := s.c
	c.mu.Lock()
	if s.closed {
		c.mu.Unlock()
		return
	}
	s.closed = true
	rst := !s.reset && !(s.endSent && s.endRecv) && !c.closed
	s.reset = true
	if s.err == nil && !(s.endSent && s.endRecv) {
		s.err = errStreamClosed
	}
	shut := false
	if c.streams[s.id] == s {
		delete(c.streams, s.id)
		shut = c.endedLocked()
	}
	c.cond.Broadcast() // the body's sender, if it waits for a window
	s.notify()         // a Head or a Read waiting in another goroutine
	c.mu.Unlock()
	if rst {
		c.writeControl(func() error { return c.fr.WriteRSTStream(s.id, http2.ErrCodeCancel) })
	}
	if shut {
		c.shut()
	}
}

var errStreamClosed = errors.New("h2client: stream closed")
