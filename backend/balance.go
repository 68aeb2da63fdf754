package backend

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// backendSet is an immutable snapshot of a cluster's backends, with what
// each balancing algorithm needs precomputed.
type backendSet struct {
	all      []*Backend
	primary  group
	backup   group
	bySticky map[string]*Backend // by sticky id (default: the backend id)
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
	mg         *maglev // the maglev table, built on first use
}

// maxSchedule bounds a round-robin period; weights are scaled down to fit.
const maxSchedule = 4096

func newBackendSet(all []*Backend) *backendSet {
	s := &backendSet{all: all, bySticky: make(map[string]*Backend, len(all))}
	var prim, back []*Backend
	for _, b := range all {
		s.bySticky[b.StickyID()] = b
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
	g := group{backends: bs, mg: &maglev{}}
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

// pick chooses an eligible backend of g other than skip, or nil. The
// algorithm proposes one; if it is not eligible, the next eligible backend
// in list order is taken.
func (g *group) pick(alg order.LoadBalancing, rr *atomic.Uint64, skip *Backend, now func() time.Time) *Backend {
	n := len(g.backends)
	if n == 0 {
		return nil
	}
	ok := func(b *Backend) bool { return b != skip && b.eligible(now) }
	i := 0
	switch {
	case n == 1:
	case alg == order.Random:
		i = g.random()
	case alg == order.LeastLoaded:
		return g.leastLoaded(ok)
	case alg == order.PowerOfTwo:
		a, b := g.backends[g.random()], g.backends[g.random()]
		switch okA, okB := ok(a), ok(b); {
		case okA && okB:
			return lessLoaded(a, b)
		case okA:
			return a
		case okB:
			return b
		}
		return g.leastLoaded(ok)
	default:
		i = int(g.schedule[(rr.Add(1)-1)%uint64(len(g.schedule))])
	}
	for k := range n {
		if b := g.backends[(i+k)%n]; ok(b) {
			return b
		}
	}
	return nil
}

// random draws a backend index with probability proportional to weight.
func (g *group) random() int {
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
	return lo
}

// lessLoaded compares in-flight requests per unit of weight.
func lessLoaded(a, b *Backend) *Backend {
	if a.InFlight()*int64(weight(b)) <= b.InFlight()*int64(weight(a)) {
		return a
	}
	return b
}

// leastLoaded returns the eligible backend with the fewest in-flight
// requests per unit of weight, ties spread at random.
func (g *group) leastLoaded(ok func(*Backend) bool) *Backend {
	var best *Backend
	start := rand.IntN(len(g.backends))
	for i := range g.backends {
		b := g.backends[(start+i)%len(g.backends)]
		if !ok(b) {
			continue
		}
		if best == nil || b.InFlight()*int64(weight(best)) < best.InFlight()*int64(weight(b)) {
			best = b
		}
	}
	return best
}

// pickBy is pick, with the key hash h for maglev.
func (g *group) pickBy(alg order.LoadBalancing, rr *atomic.Uint64, skip *Backend, now func() time.Time, h uint64) *Backend {
	if alg != order.Maglev || len(g.backends) <= 1 {
		return g.pick(alg, rr, skip, now)
	}
	return g.pickHash(h, skip, now, false)
}

// pickOpen picks among every backend, healthy or not, primaries first
// (health_check.fail_open with every backend failing its check).
func (c *Cluster) pickOpen(s *backendSet, alg order.LoadBalancing, skip *Backend, h uint64) *Backend {
	any := func(b *Backend) bool { return b != skip }
	for _, g := range []*group{&s.primary, &s.backup} {
		if len(g.backends) == 0 {
			continue
		}
		if alg == order.Maglev {
			if b := g.pickHash(h, skip, nil, true); b != nil {
				return b
			}
			continue
		}
		i := int(g.schedule[(c.rr.Add(1)-1)%uint64(len(g.schedule))])
		for k := range g.backends {
			if b := g.backends[(i+k)%len(g.backends)]; any(b) {
				return b
			}
		}
	}
	return nil
}
