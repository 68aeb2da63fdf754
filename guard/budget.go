package guard

import (
	"sync/atomic"
	"time"
)

// Budget bounds a cluster's retries to a share of its requests over a
// sliding window of ten one-second slots, plus a floor of MinPerSecond
// retries a second (Linkerd's and Envoy's retry budgets): when backends
// fail, retries add at most that much load instead of multiplying it.
type Budget struct {
	percent int64
	slots   [budgetSlots]budgetSlot
	epoch   time.Time
}

const (
	budgetSlots = 10 // one a second: the window is 10 s
	// MinPerSecond retries a second are allowed whatever the traffic, so
	// that a quiet cluster can retry at all.
	MinPerSecond = 10
)

type budgetSlot struct {
	sec      atomic.Int64
	requests atomic.Int64
	retries  atomic.Int64
}

// NewBudget returns a budget of percent retries per request.
func NewBudget(percent int) *Budget {
	return &Budget{percent: int64(percent), epoch: time.Now()}
}

// slot returns the slot of the current second, cleared when it last
// counted an older second.
func (b *Budget) slot() *budgetSlot {
	sec := int64(time.Since(b.epoch)/time.Second) + 1
	s := &b.slots[sec%budgetSlots]
	if old := s.sec.Load(); old != sec && s.sec.CompareAndSwap(old, sec) {
		s.requests.Store(0)
		s.retries.Store(0)
	}
	return s
}

// Request counts a request.
func (b *Budget) Request() { b.slot().requests.Add(1) }

// Retry reports whether a retry fits in the budget, and counts it if so.
func (b *Budget) Retry() bool {
	cur := b.slot()
	now := cur.sec.Load()
	var req, ret int64
	for i := range b.slots {
		s := &b.slots[i]
		if sec := s.sec.Load(); sec > now-budgetSlots && sec <= now {
			req += s.requests.Load()
			ret += s.retries.Load()
		}
	}
	if ret*100 >= req*b.percent+MinPerSecond*budgetSlots*100 {
		return false
	}
	cur.retries.Add(1)
	return true
}
