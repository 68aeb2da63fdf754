package sock

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Poller wakes goroutines waiting for their sockets to become readable, in
// the order the sockets became readable.
//
// The Go runtime's network poller hands the goroutines it wakes together
// to the scheduler newest first, so when many connections become ready at
// once the one that has waited longest is served last; on a busy processor
// that shows as latency at the tail (p99). A Poller keeps its own epoll set
// (watched in turn by the runtime's poller, so no thread blocks in it) and
// wakes its waiters in the order the kernel reported them, one goroutine
// doing so for all. It also checks waiters' deadlines itself, every Tick,
// so that a wait costs no timer.
//
// A socket is added with Register once, and leaves with its Waiter's
// Close. Its methods are safe for concurrent use. It owns one goroutine,
// which Close stops and waits for. On systems without epoll NewPoller
// returns ErrUnsupported.
type Poller struct {
	mu      sync.Mutex
	waiters []*Waiter // by slot; nil where free
	free    []int32   // free slots
	gen     uint32    // bumped per Register, so that a stale event finds no Waiter
	closed  bool

	// timed counts goroutines waiting with a deadline; while it is above
	// zero the loop wakes every Tick to check deadlines.
	timed atomic.Int64
	kick  func() // makes the loop re-arm its tick (set by the system part)

	sys  pollerSys
	done chan struct{}
}

// Tick is how often a Poller checks the deadlines of its waiters: a wait
// ends at most this long after its deadline.
const Tick = 5 * time.Millisecond

// ErrUnsupported is returned by NewPoller where there is no epoll.
var ErrUnsupported = errors.New("sock: no poller on this system")

// Register adds the socket of c to p with a new Waiter, which c uses from
// then on. It fails if c is not ready, already registered, or p is closed.
func (p *Poller) Register(c *Conn) error {
	if !c.Ready() || c.w.p.Load() != nil {
		return errors.New("sock: connection not ready or already registered")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	var slot int32
	if n := len(p.free); n > 0 {
		slot, p.free = p.free[n-1], p.free[:n-1]
	} else {
		slot = int32(len(p.waiters))
		p.waiters = append(p.waiters, nil)
	}
	p.gen++
	w := &c.w
	w.slot, w.key = slot, uint64(uint32(slot))|uint64(p.gen)<<32
	if w.wake == nil {
		w.wake = make(chan struct{}, 1)
	}
	if err := p.sys.add(c, w.key); err != nil {
		p.free = append(p.free, slot)
		return err
	}
	w.p.Store(p)
	p.waiters[slot] = w
	return nil
}

// unregister frees w's slot.
func (p *Poller) unregister(w *Waiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.slot >= 0 && int(w.slot) < len(p.waiters) && p.waiters[w.slot] == w {
		p.waiters[w.slot] = nil
		p.free = append(p.free, w.slot)
	}
	w.slot = -1
}

// waiting and woke keep count of timed waits; the first one kicks the loop
// so that it starts ticking.
func (p *Poller) waiting(timed bool) {
	if timed && p.timed.Add(1) == 1 {
		p.kick()
	}
}

func (p *Poller) woke(timed bool) {
	if timed {
		p.timed.Add(-1)
	}
}

// dispatch wakes the waiters of a batch of events, in order. keys are the
// events' keys.
func (p *Poller) dispatch(keys []uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		slot := int(uint32(k))
		if slot < len(p.waiters) {
			if w := p.waiters[slot]; w != nil && w.key == k {
				w.readable()
			}
		}
	}
}

// expire ends the waits whose deadline has passed.
func (p *Poller) expire(now time.Time) {
	if p.timed.Load() == 0 {
		return
	}
	n := now.UnixNano()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.waiters {
		if w != nil && w.state.Load() == wWaiting {
			w.expire(n)
		}
	}
}

// Close stops the Poller, wakes every waiter with ErrClosed and waits for
// the Poller's goroutine.
func (p *Poller) Close() {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	ws := append([]*Waiter(nil), p.waiters...)
	p.mu.Unlock()
	if already {
		<-p.done
		return
	}
	for _, w := range ws {
		if w != nil && w.state.Swap(wClosed) == wWaiting {
			w.wake <- struct{}{}
		}
	}
	p.sys.close()
	<-p.done
}
