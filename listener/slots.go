package listener

import (
	"sync"
	"time"
)

// Slots bounds the client connections open at once across listeners
// (max_connections): a listener takes a slot for each connection it
// accepts, before serving it, and the connection gives it back when it
// ends.
//
// When no slot is free for a connection just accepted, the listener asks
// the reclaimer (SetReclaim) to close connections that wait between
// requests, as nginx reuses its idle keep-alive connections, and takes the
// slot one of them frees. When the reclaimer finds none (every connection
// is busy), the connection waits, accepting pauses and the kernel's
// backlog holds the next ones; the reclaimer is asked again every
// ReclaimRetry until a slot is free, since busy connections go idle
// without giving their slot back. So at most one connection per listener
// is open beyond the bound, accepted and waiting for its slot.
type Slots struct {
	ch chan struct{}
	// mu makes reclaims one at a time, so that listeners short of a slot
	// together do not each close a batch.
	mu      sync.Mutex
	reclaim func() int
}

// ReclaimRetry is how often a listener waiting for a slot asks the
// reclaimer again.
const ReclaimRetry = 100 * time.Millisecond

// NewSlots returns room for n connections.
func NewSlots(n int) *Slots { return &Slots{ch: make(chan struct{}, n)} }

// SetReclaim sets the function a listener short of a slot calls: it closes
// some idle connections (whose slots come back as they end) and returns
// how many it closed. It is called from accept loops, one call at a time,
// only while every slot is taken. Call SetReclaim before any Acceptor
// using s starts.
func (s *Slots) SetReclaim(reclaim func() int) { s.reclaim = reclaim }

// InUse is the number of slots taken.
func (s *Slots) InUse() int { return len(s.ch) }

// take takes a slot, reclaiming idle connections when none is free; it
// reports false when quit closes first.
func (s *Slots) take(quit <-chan struct{}) bool {
	select {
	case s.ch <- struct{}{}: // a free slot: the usual case
		return true
	default:
	}
	if s.reclaim == nil {
		select {
		case s.ch <- struct{}{}:
			return true
		case <-quit:
			return false
		}
	}
	t := time.NewTimer(ReclaimRetry)
	defer t.Stop()
	for {
		s.tryReclaim()
		select {
		case s.ch <- struct{}{}:
			return true
		case <-quit:
			return false
		case <-t.C:
			t.Reset(ReclaimRetry)
		}
	}
}

// tryReclaim calls the reclaimer unless a slot is free by now.
func (s *Slots) tryReclaim() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ch) < cap(s.ch) {
		return
	}
	s.reclaim()
}

// give gives a slot back.
func (s *Slots) give() { <-s.ch }
