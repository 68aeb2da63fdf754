package listener

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Reclaiming: when the proxy runs out of connection slots (max_connections,
// see Slots), it makes room for a new connection by closing connections
// that wait for a request, those that waited longest first, as nginx
// reuses its idle keep-alive connections. A connection that waits between
// requests, or for the first request of a new connection, may be closed; a
// busy one (an exchange or a tunnel in progress) never is. A client whose
// request crosses the close sees its keep-alive connection closed before
// an answer, which HTTP clients handle by retrying idempotent requests on a
// new connection.
//
// Nothing is done per request for it but a clock reading a connection
// keeps when it starts to wait (Conn.Waiting); connections are scanned only
// when slots run out. HTTP/2 connections do not take part: they close
// after the keep-alive timeout once they have no stream.

// Reclaimer finds and closes the longest-waiting connections of a set of
// http and https listeners. Its methods are safe for concurrent use.
type Reclaimer struct {
	mu   sync.Mutex
	lns  []*HTTP
	best []candidate // scratch of Reclaim, kept between calls
	// Reclaimed counts the connections closed.
	Reclaimed atomic.Int64
}

type candidate struct {
	c     Conn
	since int64 // when it began to wait (Mono)
}

// MaxReclaim bounds the connections one Reclaim closes. As nginx does, a
// reclaim closes an eighth of the waiting connections, at least one and at
// most MaxReclaim, so that the connections that follow find slots free.
const MaxReclaim = 32

// Add makes l's connections reclaimable.
func (r *Reclaimer) Add(l *HTTP) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.lns, l) {
		r.lns = append(r.lns, l)
	}
}

// Remove forgets l.
func (r *Reclaimer) Remove(l *HTTP) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lns = slices.DeleteFunc(r.lns, func(x *HTTP) bool { return x == l })
}

// Reclaim closes the connections of the listeners that have waited for a
// request longest: an eighth of the waiting ones, at least one and at most
// MaxReclaim. It returns how many it closed and the longest of their
// waits. Their slots come back as they end: at once for parked ones, when
// their goroutine wakes for the others.
func (r *Reclaimer) Reclaim() (closed int, longest time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	best := r.best[:0]
	waiting := 0
	consider := func(c Conn) {
		since, ok := c.Waiting()
		if !ok {
			return
		}
		waiting++
		if len(best) == MaxReclaim && since >= best[len(best)-1].since {
			return
		}
		i, _ := slices.BinarySearchFunc(best, since, func(c candidate, t int64) int {
			if c.since <= t {
				return -1
			}
			return 1
		})
		if len(best) < MaxReclaim {
			best = append(best, candidate{})
		}
		copy(best[i+1:], best[i:len(best)-1])
		best[i] = candidate{c: c, since: since}
	}
	for _, l := range r.lns {
		l.conns.Range(consider)
	}
	want := min(MaxReclaim, max(1, waiting/8))
	now := Mono(time.Now())
	for _, c := range best[:min(want, len(best))] {
		if c.c.CloseIfIdle() {
			closed++
			longest = max(longest, time.Duration(now-c.since))
		}
	}
	clear(best) // no connection kept alive by the scratch
	r.best = best[:0]
	r.Reclaimed.Add(int64(closed))
	return closed, longest
}

// epoch is the origin of the connections' monotonic times (Conn.Waiting):
// nanoseconds since it, unaffected by changes of the wall clock, in 8
// bytes where a time.Time takes 24.
var epoch = time.Now()

// Mono is t as a monotonic time; t must come from time.Now (or be
// computed from a value that did).
func Mono(t time.Time) int64 { return int64(t.Sub(epoch)) }
