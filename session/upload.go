package session

import (
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// upload streams the rest of a request body from the client to the backend
// while the session waits for the response, so that 100-continue, early
// answers and full-duplex exchanges work. While it runs it owns the client
// read side and s.buf; the session waits for done before touching them.
type upload struct {
	s         *Session
	bc        *backend.Conn
	remaining int64              // content-length bytes still to come
	chunks    *h1.ChunkedScanner // non-nil for a chunked body
	done      chan struct{}
	err       error       // nil when the body went out whole
	waited    bool        // finishUpload has waited for done
	stopped   bool        // the session cut the upload short
	read      atomic.Bool // the whole body was read from the client
	// sent counts the body bytes written to the backend; the session reads
	// it once done is closed. max bounds a chunked body (0: none), counted
	// on the wire from the first bytes sent with the head (initial).
	sent, initial, max int64
}

func (s *Session) startUpload(bc *backend.Conn, remaining int64, chunks *h1.ChunkedScanner, initial int) *upload {
	up := &upload{s: s, bc: bc, remaining: remaining, done: make(chan struct{}), initial: int64(initial)}
	if s.req.Chunked {
		c := *chunks
		up.chunks = &c
		up.max = s.set.MaxBodyBytes // a declared length was checked before
	}
	go up.run()
	return up
}

// bodyRead reports whether the whole body has been read from the client
// (it may still be on its way to the backend).
func (up *upload) bodyRead() bool { return up.read.Load() }

// run is the upload goroutine; its owner is the session, which waits on
// done.
func (up *upload) run() {
	defer close(up.done)
	s := up.s
	s.r, s.w = 0, 0
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(s.set.FrontTimeout))
		n, err := s.sock.Read(s.buf)
		if n > 0 {
			var k int
			fin := false
			if up.chunks != nil {
				var perr error
				k, fin, perr = up.chunks.Scan(s.buf[:n])
				if perr != nil {
					up.err = errBadBody
					up.bc.Close() // never reused; the session sees the failure
					return
				}
			} else {
				k = int(min(int64(n), up.remaining))
				up.remaining -= int64(k)
				fin = up.remaining == 0
			}
			if up.max > 0 && up.initial+up.sent+int64(k) > up.max {
				up.err = errTooLarge
				up.bc.Close() // never reused; the session answers 413 if it can
				return
			}
			s.r, s.w = k, n // what follows the body is the next request
			if fin {
				up.read.Store(true)
			}
			_ = up.bc.SetWriteDeadline(time.Now().Add(s.set.BackTimeout))
			w, werr := up.bc.Write(s.buf[:k])
			up.sent += int64(w)
			if werr != nil {
				up.err = werr
				return
			}
			if fin {
				return
			}
			continue
		}
		if err != nil {
			up.err = err
			up.bc.Close()
			return
		}
	}
}
