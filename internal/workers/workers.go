// Package workers keeps the goroutines that finished a piece of work
// waiting for the next one, so that work runs on a stack that has grown
// already and without a goroutine's start: the listener's connections
// (listener.Acceptor) and the HTTP/2 front's streams (h2.Server).
//
// A worker waits on a plain channel receive, with no timer of its own to
// reset per piece of work: an owner calls Retire now and then (every
// WorkerIdle or so), which ends as many waiting workers as were never all
// needed since the last call, so that a worker left over from a burst
// ends within two periods.
package workers

import "sync/atomic"

// closed is idle once the pool is closed: no worker waits any more.
const closed = -1 << 30

// Pool hands values of T to waiting workers. The zero T is the signal to
// end and is never handed as work. Its methods are safe for concurrent
// use; the zero Pool is not ready (see New).
type Pool[T comparable] struct {
	work chan T
	// idle counts the workers waiting that nothing has been promised to
	// yet (Hand claims one, then sends; a claimed worker is bound to
	// receive), or is closed.
	idle atomic.Int32
	// low is the fewest workers that waited at once since the last
	// Retire (a heuristic: concurrent Hands may each store theirs).
	low atomic.Int32
	max int32
}

// New returns a Pool in which at most max workers wait.
func New[T comparable](max int) *Pool[T] {
	return &Pool[T]{work: make(chan T), max: int32(max)}
}

// Hand gives v (not the zero T) to a waiting worker and reports true, or
// reports false when none waits: the caller then starts a worker with v.
func (p *Pool[T]) Hand(v T) bool {
	ok := p.claim()
	// The fewest waiting is read before the send: once it is received,
	// the worker may be back in Wait and count again.
	if n := max(p.idle.Load(), 0); n < p.low.Load() {
		p.low.Store(n)
	}
	if ok {
		p.work <- v
	}
	return ok
}

// Wait is a worker's wait for its next piece of work, after one: false
// when the worker must end instead (max others wait, the pool is closed,
// or Retire or EndIdle chose it). stop, when not nil, is checked once the
// worker counts as waiting: when it reports true the worker ends, unless
// work was promised to it already. An owner that makes stop true and then
// calls EndIdle thus ends every worker, whatever the order they ran in.
func (p *Pool[T]) Wait(stop func() bool) (T, bool) {
	var zero T
	if !p.enter() {
		return zero, false
	}
	if stop != nil && stop() && p.claim() {
		return zero, false // taken out of idle by itself: nothing promised
	}
	v := <-p.work
	return v, v != zero
}

// Retire ends as many waiting workers as the fewest that waited at once
// since the last Retire, and returns how many wait still.
func (p *Pool[T]) Retire() int {
	var zero T
	for range p.low.Load() {
		if !p.claim() {
			break
		}
		p.work <- zero
	}
	n := max(p.idle.Load(), 0)
	p.low.Store(n)
	return int(n)
}

// EndIdle ends every worker waiting; later ones wait again.
func (p *Pool[T]) EndIdle() {
	var zero T
	for p.claim() {
		p.work <- zero
	}
}

// Close ends every worker waiting; from then on Wait reports false.
func (p *Pool[T]) Close() {
	var zero T
	for range max(p.idle.Swap(closed), 0) {
		p.work <- zero
	}
}

// Idle is the number of workers waiting.
func (p *Pool[T]) Idle() int { return int(max(p.idle.Load(), 0)) }

// claim promises the next value to a waiting worker; false when none
// waits.
func (p *Pool[T]) claim() bool {
	for {
		n := p.idle.Load()
		if n <= 0 {
			return false
		}
		if p.idle.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// enter counts a worker as waiting; false when max wait already or the
// pool is closed.
func (p *Pool[T]) enter() bool {
	for {
		n := p.idle.Load()
		if n < 0 || n >= p.max {
			return false
		}
		if p.idle.CompareAndSwap(n, n+1) {
			return true
		}
	}
}
