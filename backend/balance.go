package backend

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/sluiceproxy/sluice/order"
)

// backendSet is an immutable snapshot of a cluster's backends, with what
// each balancing algorithm needs precomputed.
type backendSet struct {
	all     []*Backend
	primary group
	backup  group
}

// group is the primary or the backup backends.
type group struct {
	backends []*Backend
	// schedule is one period of smooth weighted round robin: indexes into
	// backends, each backend appearing weight/gcd times, spread evenly.
	schedule []uint16
	// cumulative weights for weighted random picks.
	cumulative []int
	total      int
}

// maxSchedule bounds a round-robin period; weights are scaled down to fit.
const maxSchedule = 4096

func newBackendSet(all []*Backend) *backendSet {
	s := &backendSet{all: all}
	var prim, back []*Backend
	for _, b := range all {
		if b.Config.Backup {
			back = append(back, b)
		} else {
			prim = append(prim, b)
		}
	}
	s.primary = newGroup(prim)
	s.backup = newGroup(back)
	return s
}

func weight(b *Backend) int {
	if b.Config.Weight <= 0 {
		return 100
	}
	return b.Config.Weight
}

func newGroup(bs []*Backend) group {
	g := group{backends: bs}
	if len(bs) == 0 {
		return g
	}
	w := make([]int, len(bs))
	d := 0
	for i, b := range bs {
		w[i] = weight(b)
		g.total += w[i]
		g.cumulative = append(g.cumulative, g.total)
		d = gcd(d, w[i])
	}
	period := 0
	for i := range w {
		w[i] /= d
		period += w[i]
	}
	if period > maxSchedule {
		period = 0
		for i := range w {
			w[i] = max(1, w[i]*maxSchedule/(g.total/d))
			period += w[i]
		}
	}
	g.schedule = smoothSchedule(w, period)
	return g
}

// smoothSchedule runs nginx's smooth weighted round robin for one period:
// each step adds every weight to its counter, picks the largest counter and
// takes the total off it. The result interleaves heavy and light backends.
func smoothSchedule(w []int, period int) []uint16 {
	cur := make([]int, len(w))
	out := make([]uint16, 0, period)
	for range period {
		best := 0
		for i := range w {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= period
		out = append(out, uint16(best))
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// pick chooses a backend of g other than skip, or nil.
func (g *group) pick(alg order.LoadBalancing, rr *atomic.Uint64, skip *Backend) *Backend {
	n := len(g.backends)
	if n == 0 || n == 1 && g.backends[0] == skip {
		return nil
	}
	if n == 1 {
		return g.backends[0]
	}
	var b *Backend
	switch alg {
	case order.Random:
		b = g.random()
	case order.LeastLoaded:
		return g.leastLoaded(skip)
	case order.PowerOfTwo:
		b = lessLoaded(g.random(), g.random())
	default:
		b = g.backends[g.schedule[(rr.Add(1)-1)%uint64(len(g.schedule))]]
	}
	if b == skip {
		// A retry: take the next backend in list order.
		for i, c := range g.backends {
			if c == skip {
				return g.backends[(i+1)%n]
			}
		}
	}
	return b
}

func (g *group) random() *Backend {
	x := rand.IntN(g.total)
	lo, hi := 0, len(g.cumulative)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if g.cumulative[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return g.backends[lo]
}

// lessLoaded compares in-flight requests per unit of weight.
func lessLoaded(a, b *Backend) *Backend {
	if a.InFlight()*int64(weight(b)) <= b.InFlight()*int64(weight(a)) {
		return a
	}
	return b
}

func (g *group) leastLoaded(skip *Backend) *Backend {
	var best *Backend
	start := rand.IntN(len(g.backends)) // spread ties
	for i := range g.backends {
		b := g.backends[(start+i)%len(g.backends)]
		if b == skip {
			continue
		}
		if best == nil || b.InFlight()*int64(weight(best)) < best.InFlight()*int64(weight(b)) {
			best = b
		}
	}
	return best
}
