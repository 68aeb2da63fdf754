package session

import (
	"io"

	"github.com/sluiceproxy/sluice/internal/sock"
)

// work is what a session holds only while a goroutine serves it: the raw
// calls' state, the read buffer and the request in progress. Sessions take
// one from their Env's pool when they start or wake and give it back when
// they park or end, so that a parked connection keeps only its Session
// record. A work belongs to one session at a time, and is touched only by
// the goroutine that serves it (and by finish, which runs alone).
type work struct {
	env *Env

	sock   sock.Conn          // raw reads and writes, where ready (plain TCP on Linux)
	rawFn  func(uintptr) bool // rawRead, bound once per work
	rawN   int
	rawErr error

	bufp *[]byte // the pooled buffer behind buf, nil when buf is not pooled
	buf  []byte  // client read buffer; nil between requests
	r, w int     // buf[r:w] is read but not yet consumed

	hs *heads // the request in progress; nil between requests
}

func newWork(e *Env) *work {
	w := &work{env: e}
	w.rawFn = w.rawRead
	return w
}

// takeWork gives s a work from the pool, set up for its connection.
func (s *Session) takeWork() {
	w := s.env.works.Get().(*work)
	w.sock.Init(s.cl.Conn)
	s.work = w
}

// dropWork gives s's work back, with its buffer and request state; s may
// have none (it ended parked).
func (s *Session) dropWork() {
	if s.work == nil {
		return
	}
	s.releaseBuf()
	s.releaseHeads()
	w := s.work
	s.work = nil
	w.sock.Clear()
	w.rawN, w.rawErr = 0, nil
	s.env.works.Put(w)
}

func (w *work) acquireBuf() {
	if w.buf == nil {
		w.bufp = w.env.getBuf()
		w.buf = *w.bufp
	}
}

func (w *work) releaseBuf() {
	if w.bufp != nil {
		w.env.putBuf(w.bufp)
	}
	w.bufp, w.buf = nil, nil
	w.r, w.w = 0, 0
}

// rawRead is called by the poller: it tries a non-blocking read and gives
// the buffer back when there is nothing to read, so a waiting connection
// holds no buffer.
func (w *work) rawRead(fd uintptr) bool {
	w.acquireBuf()
	n, again, err := sock.ReadFD(fd, w.buf)
	if again {
		w.releaseBuf()
		return false
	}
	if err == io.EOF {
		err = nil // rawWait reports n == 0 as io.EOF
	}
	w.rawN, w.rawErr = n, err
	return true
}
