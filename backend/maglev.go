package backend

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Maglev load balancing (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, §3.4), weighted as Envoy
// does it: a lookup table of a prime number of entries, filled by each
// backend in turn along its own permutation of the table (from hashes of
// its id, so the same on every proxy and after restarts), a backend
// taking a turn in proportion to its weight. A key hashes to an entry;
// when a backend joins or leaves, the entries of the others mostly stay,
// so about 1/N of the keys move. A key whose backend cannot take the
// request (down, in backoff, the one a retry avoids) goes to the next
// usable backend along the table, so that backend's keys spread over the
// others and come back when it does.

// maglevSizes are the table sizes: primes, the smallest at least 1000
// times the backends is used (a table of 2 bytes an entry, built on the
// first request after a change of the backends). The larger the table
// the closer a change comes to moving only 1/N of the keys: measured by
// TestMaglevMinimalRemapping, one of 10 backends leaving moves 10.3% of
// the keys (10% ideal), one of 50 2.5% (2%).
var maglevSizes = []int{4099, 16411, 65537, 262147}

type maglev struct {
	once  sync.Once
	table []uint16 // indexes into group.backends
}

// lookup returns the maglev table of g, built on first use.
func (g *group) lookup() []uint16 {
	g.mg.once.Do(func() { g.mg.table = buildMaglev(g.backends) })
	return g.mg.table
}

func buildMaglev(bs []*Backend) []uint16 {
	n := len(bs)
	if n == 0 {
		return nil
	}
	m := maglevSizes[len(maglevSizes)-1]
	for _, s := range maglevSizes {
		if s >= 1000*n {
			m = s
			break
		}
	}
	type perm struct {
		offset, skip, next uint64
		weight, target     uint64
	}
	// The backends fill the table in the order of their ids, so that the
	// table depends on the set of backends, not on the order they came in.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(bs[a].Config.ID, bs[b].Config.ID) })
	ps := make([]perm, n)
	var maxW uint64
	for i, b := range bs {
		id := b.Config.ID
		ps[i] = perm{
			offset: xxhash.Sum64String(id) % uint64(m),
			skip:   xxhash.Sum64String(id+"\x00skip")%uint64(m-1) + 1,
			weight: uint64(weight(b)),
		}
		maxW = max(maxW, ps[i].weight)
	}
	const empty = 0xffff
	table := make([]uint16, m)
	for i := range table {
		table[i] = empty
	}
	filled := 0
	for iter := uint64(1); ; iter++ {
		for _, i := range order {
			p := &ps[i]
			// A backend of the largest weight takes a turn every round,
			// one of a third of it every third round.
			if iter*p.weight < p.target {
				continue
			}
			p.target += maxW
			c := (p.offset + p.skip*p.next) % uint64(m)
			for table[c] != empty {
				p.next++
				c = (p.offset + p.skip*p.next) % uint64(m)
			}
			table[c] = uint16(i)
			p.next++
			filled++
			if filled == m {
				return table
			}
		}
	}
}

// pickHash chooses the backend of key hash h in g's maglev table, or the
// next usable one along the table, or nil. Usable: not skip, and eligible
// unless open.
func (g *group) pickHash(h uint64, skip *Backend, now func() time.Time, open bool) *Backend {
	t := g.lookup()
	if len(t) == 0 {
		return nil
	}
	i := int(h % uint64(len(t)))
	var tried uint64 // a bitmap of the first 64 backends, to stop early
	all := uint64(1)<<min(len(g.backends), 64) - 1
	for k := 0; k < len(t); k++ {
		j := t[(i+k)%len(t)]
		if j < 64 {
			if tried&(1<<j) != 0 {
				continue
			}
			tried |= 1 << j
		}
		if b := g.backends[j]; b != skip && (open || b.eligible(now)) {
			return b
		}
		if len(g.backends) <= 64 && tried == all {
			return nil
		}
	}
	return nil
}

// HashKey hashes a request's key for maglev: xxhash, the same on every
// proxy.
func HashKey(k []byte) uint64 { return xxhash.Sum64(k) }
