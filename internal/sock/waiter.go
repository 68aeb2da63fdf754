package sock

import (
	"errors"
	"os"
	"sync/atomic"
	"time"
)

// Waiter states. Exactly one party moves a Waiter out of waiting: the
// Poller (readable, or the deadline passed) or Close.
const (
	wIdle    uint32 = iota // not waiting; no readiness seen since the last reset
	wReady                 // the socket became readable since the last reset
	wWaiting               // a goroutine waits in Wait
	wClosed                // Close was called; Wait returns ErrClosed
)

// ErrClosed is returned by Wait once the Waiter (or its Poller) is closed.
var ErrClosed = errors.New("sock: waiter closed")

// Waiter is one socket's readiness in a Poller. Wait is called by one
// goroutine at a time; Reset and Close may be called by any.
type Waiter struct {
	p     atomic.Pointer[Poller] // set by Register
	slot  int32                  // index in p.waiters; -1 before Register
	key   uint64
	state atomic.Uint32
	wake  chan struct{} // cap 1: one send per move out of wWaiting
	// deadline of the wait in progress (UnixNano, 0 for none).
	deadline atomic.Int64
	timedOut bool // set by the Poller before its wake, read after it
}

// Registered reports whether the Waiter is in a Poller.
func (w *Waiter) Registered() bool { return w.p.Load() != nil }

// Reset forgets readiness seen so far. Bytes that arrive after Reset make
// the Waiter ready again; bytes that arrived before are the caller's to
// read (or, for a peer that only answers, none are there).
func (w *Waiter) Reset() {
	w.state.CompareAndSwap(wReady, wIdle)
}

// Ready reports whether the socket became readable since the last Reset.
func (w *Waiter) Ready() bool { return w.state.Load() == wReady }

// Wait blocks until the socket becomes readable after the last Reset
// (at once if it already did), the deadline passes (os.ErrDeadlineExceeded;
// the Poller checks deadlines every Tick, so a wait may last up to a Tick
// longer), or the Waiter is closed (ErrClosed). A zero deadline never
// passes. Being woken does not mean bytes are there: the caller reads and,
// on EAGAIN, waits again.
func (w *Waiter) Wait(deadline time.Time) error {
	if w.state.CompareAndSwap(wReady, wIdle) {
		return nil
	}
	var d int64
	if !deadline.IsZero() {
		d = deadline.UnixNano()
	}
	w.deadline.Store(d)
	if !w.state.CompareAndSwap(wIdle, wWaiting) {
		if w.state.CompareAndSwap(wReady, wIdle) {
			return nil
		}
		return ErrClosed
	}
	p := w.p.Load()
	p.waiting(d != 0)
	<-w.wake
	p.woke(d != 0)
	if w.timedOut {
		w.timedOut = false
		return os.ErrDeadlineExceeded
	}
	if w.state.Load() == wClosed {
		return ErrClosed
	}
	return nil
}

// readable is the Poller's move on an event for the socket.
func (w *Waiter) readable() {
	for {
		switch s := w.state.Load(); s {
		case wIdle:
			if w.state.CompareAndSwap(wIdle, wReady) {
				return
			}
		case wWaiting:
			if w.state.CompareAndSwap(wWaiting, wIdle) {
				w.wake <- struct{}{}
				return
			}
		default: // ready already, or closed
			return
		}
	}
}

// expire is the Poller's move when a waiter's deadline has passed.
func (w *Waiter) expire(now int64) {
	if d := w.deadline.Load(); d == 0 || now < d {
		return
	}
	if w.state.CompareAndSwap(wWaiting, wIdle) {
		w.timedOut = true
		w.wake <- struct{}{}
	}
}

// Close wakes a goroutine waiting in Wait with ErrClosed and takes the
// Waiter out of its Poller. It does not close the socket; call it just
// before closing the socket. Later Waits return ErrClosed.
func (w *Waiter) Close() {
	if w.state.Swap(wClosed) == wWaiting {
		w.wake <- struct{}{}
	}
	if p := w.p.Load(); p != nil {
		p.unregister(w)
	}
}
