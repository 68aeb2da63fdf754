package exchange

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// h2Body is the request body as the HTTP/2 transport reads it, in a
// goroutine of its own: the bytes the front held first, then the front's
// ReadBody. Until Close (or finish giving up on it) the transport owns the
// front's body side; the exchange waits for that in finish before it
// returns.
type h2Body struct {
	x    *Exchange
	mu   sync.Mutex // held by Read; finish takes it to know Read is over
	pend []byte
	// first is the bytes the front held first (pend as made): the whole
	// body when done, which a resend sends again.
	first []byte
	sent  int64 // body bytes read, from the head on (readRequestBody)
	done  bool  // pend is the whole body
	// whole is set once the whole body was read; atomic, for the
	// exchange's goroutine while Read may be waiting for the client
	// (holding mu): a response head written then keeps the client's
	// connection when the body is in.
	whole atomic.Bool
	// bad is the client's body error, ErrTooLarge or ErrBadBody, once a
	// Read met it (under mu; read after finish): the exchange answers it
	// as over HTTP/1.1 (badBody).
	bad    error
	stop   bool // finish ran: no more reads
	once   sync.Once
	closed chan struct{}
}

func newH2Body(x *Exchange, p []byte, done bool) *h2Body {
	return &h2Body{x: x, pend: p, first: p, sent: int64(len(p)), done: done, closed: make(chan struct{})}
}

func (b *h2Body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.stop:
		return 0, io.ErrClosedPipe
	case len(b.pend) > 0:
		n := copy(p, b.pend)
		b.pend = b.pend[n:]
		return n, nil
	case b.done:
		b.whole.Store(true)
		return 0, io.EOF
	}
	n, err := b.x.readRequestBody(p, &b.sent)
	switch {
	case err == io.EOF:
		b.whole.Store(true)
	case errors.Is(err, ErrTooLarge) || errors.Is(err, ErrBadBody):
		b.bad = err
	}
	return n, err
}

// Close is called by the transport once it stops reading the body.
func (b *h2Body) Close() error {
	b.once.Do(func() {
		b.x.front.StopBody() // a Read in progress returns
		close(b.closed)
	})
	return nil
}

// finish waits until the transport is done with the body (stopping it
// after back_timeout) and for a Read in progress to return, then reports
// whether the body was read whole from the client. The front owns its body side again
// after it.
func (b *h2Body) finish() bool {
	t := time.NewTimer(b.x.Set.BackTimeout)
	defer t.Stop()
	select {
	case <-b.closed:
	case <-t.C:
		_ = b.Close()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stop = true
	// A body whole in hand from the start was read whole from the
	// client, whether or not the backend took all of it.
	return b.whole.Load() || b.done
}

// clientErr is the client's body error a Read met (ErrTooLarge or
// ErrBadBody), or nil; only after finish.
func (b *h2Body) clientErr() error { return b.bad }
