//go:build linux

package park

import (
	"time"
)

// deadlines is a binary min-heap of park deadlines, earliest first. Each
// entry's index is kept in its waiter (waiter.at), so that a park ended by
// a wake or an Unpark leaves the heap at once: the heap never holds more
// entries than there are parked connections.
type deadlines []timed

// timed is one deadline: an offset from the Poller's epoch, in
// nanoseconds, and the park it ends.
type timed struct {
	when int64
	k    Key
}

// first is the key of the earliest deadline, or 0 when there is none.
func (h deadlines) first() Key {
	if len(h) == 0 {
		return 0
	}
	return h[0].k
}

// push adds k's deadline. p.mu is held.
func (h *deadlines) push(p *Poller, k Key, when int64) {
	*h = append(*h, timed{when: when, k: k})
	h.up(p, len(*h)-1)
}

// remove takes the entry at i out. p.mu is held.
func (h *deadlines) remove(p *Poller, i int) {
	last := len(*h) - 1
	if i != last {
		h.swap(p, i, last)
	}
	*h = (*h)[:last]
	if i != last {
		if !h.down(p, i) {
			h.up(p, i)
		}
	}
}

func (h deadlines) swap(p *Poller, i, j int) {
	h[i], h[j] = h[j], h[i]
	h.place(p, i)
	h.place(p, j)
}

// place records in h[i]'s waiter that it sits at i.
func (h deadlines) place(p *Poller, i int) {
	k := h[i].k
	if wt, ok := p.waiters[k]; ok {
		wt.at = i
		p.waiters[k] = wt
	}
}

func (h deadlines) up(p *Poller, i int) {
	h.place(p, i)
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].when <= h[i].when {
			return
		}
		h.swap(p, parent, i)
		i = parent
	}
}

// down moves h[i] towards the leaves and reports whether it moved.
func (h deadlines) down(p *Poller, i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].when < h[l].when {
			m = r
		}
		if h[i].when <= h[m].when {
			break
		}
		h.swap(p, i, m)
		i = m
	}
	return i > start
}

// forgetLocked ends the park k: its waiter and its deadline go. p.mu is
// held.
func (p *Poller) forgetLocked(k Key) {
	wt, ok := p.waiters[k]
	if !ok {
		return
	}
	delete(p.waiters, k)
	if wt.at >= 0 {
		wasFirst := wt.at == 0
		p.timed.remove(p, wt.at)
		if wasFirst {
			p.armLocked()
		}
	}
}

// armLocked sets the loop's wait to end at the earliest deadline (none
// when there is none). p.mu is held.
func (p *Poller) armLocked() {
	if p.closed {
		return
	}
	var d time.Time
	if len(p.timed) > 0 {
		d = p.epoch.Add(time.Duration(p.timed[0].when))
	}
	_ = p.file.SetReadDeadline(d)
}

// expire ends the parks whose deadline has passed, calling their Expire,
// and sets the next deadline. It runs in the loop's goroutine.
func (p *Poller) expire() {
	now := int64(time.Since(p.epoch))
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.timed) > 0 && p.timed[0].when <= now {
		k := p.timed[0].k
		wt := p.waiters[k]
		p.timed.remove(p, 0)
		delete(p.waiters, k)
		if e, ok := wt.w.(Expirer); ok {
			go e.Expire()
		}
	}
	p.armLocked()
}
