package guard

import (
	"hash/maphash"
	"net/netip"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// Limiter is a rate limit: a token bucket per key, kept in the generic
// cell rate form (one "theoretical arrival time" per key: the bucket is
// full when it lies in the past), in a table of fixed size allocated at
// once: MaxKeys entries of 16 bytes (a 64-bit keyed hash of the key and
// the time), in sets of 8 under one lock each. Memory never grows,
// however many keys come.
//
// Eviction: a key not in the table takes the entry of its set whose
// bucket is the fullest. A full bucket is the same as no bucket, so while
// the table has room for the keys that are being limited nothing is lost.
// Past that, the key evicted is the one that has waited longest, and it
// only gets a full bucket again (Burst requests more) — never less. The
// hash is keyed with a secret seed drawn at start, so a client cannot
// choose keys that land in a victim's set; to push out one bucket it must
// fill that set with busier keys, which takes of the order of the whole
// table's worth of fresh keys within the victim's refill time, and wins
// the victim a fuller bucket, not an emptier one. Evictions of buckets
// that were not full are counted (Evicted).
type Limiter struct {
	interval  int64 // ns between two tokens
	tolerance int64 // (burst-1) · interval
	key       string
	header    []byte // lower case, for key "header"
	seed      maphash.Seed
	epoch     time.Time
	sets      []set
	mask      uint64
	cfg       order.RateLimit
	// Evicted counts buckets that were pushed out before they were full.
	Evicted atomic.Int64
}

const ways = 8

type set struct {
	mu sync.Mutex
	e  [ways]entry
}

type entry struct {
	key uint64 // 0: empty
	tat int64  // ns since epoch when the bucket is full again
}

// NewLimiter builds the limiter of r (validated).
func NewLimiter(r *order.RateLimit) *Limiter {
	period := r.Period.D()
	if period == 0 {
		period = order.DefaultLimitPeriod
	}
	burst := r.Burst
	if burst == 0 {
		burst = r.Rate
	}
	interval := max(int64(period)/int64(r.Rate), 1)
	l := &Limiter{interval: interval, tolerance: int64(burst-1) * interval, key: r.Key,
		seed: maphash.MakeSeed(), epoch: time.Now(), cfg: *r}
	if l.key == "" {
		l.key = order.LimitClientAddress
	}
	for i := range r.Header {
		c := r.Header[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		l.header = append(l.header, c)
	}
	n := 1 // a route's single bucket
	if l.key != order.LimitRoute {
		keys := r.MaxKeys
		if keys == 0 {
			keys = order.DefaultLimitKeys
		}
		for n*ways < keys {
			n *= 2
		}
	}
	l.sets = make([]set, n)
	l.mask = uint64(n - 1)
	return l
}

// Same reports whether r is the limit l was built from: an update that
// keeps it keeps l, with its buckets.
func (l *Limiter) Same(r *order.RateLimit) bool {
	return l != nil && r != nil && reflect.DeepEqual(l.cfg, *r)
}

// Capacity is the number of keys the table holds.
func (l *Limiter) Capacity() int { return len(l.sets) * ways }

// Bytes is the memory of the table.
func (l *Limiter) Bytes() int { return len(l.sets) * int(sizeofSet) }

// Header is the lower-case name of the field a "header" key is read from
// (nil for other keys).
func (l *Limiter) Header() []byte { return l.header }

// ByRoute reports a limiter of one bucket for every request.
func (l *Limiter) ByRoute() bool { return l.key == order.LimitRoute }

// AllowAddr takes a token for the client address a (an IPv6 address by
// its /64 prefix: one host holds a whole /64).
func (l *Limiter) AllowAddr(a netip.Addr) (bool, time.Duration) {
	if l.ByRoute() {
		return l.allow(1)
	}
	a = a.Unmap()
	b := a.As16()
	if a.Is6() {
		clear(b[8:])
	}
	return l.allow(maphash.Bytes(l.seed, b[:]))
}

// AllowKey takes a token for the key k (a header's value).
func (l *Limiter) AllowKey(k []byte) (bool, time.Duration) {
	// Header values and addresses hash apart: a value cannot pose as an
	// address.
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteByte('h')
	h.Write(k)
	return l.allow(h.Sum64())
}

// allow takes a token from the bucket of the key hashed h; when there is
// none it reports how long until there is one.
func (l *Limiter) allow(h uint64) (bool, time.Duration) {
	h |= 1 // 0 marks an empty entry
	now := int64(time.Since(l.epoch))
	s := &l.sets[(h>>32)&l.mask]
	s.mu.Lock()
	e := s.find(h, now, &l.Evicted)
	tat := max(e.tat, now)
	if wait := tat - now - l.tolerance; wait > 0 {
		s.mu.Unlock()
		return false, time.Duration(wait)
	}
	e.tat = tat + l.interval
	s.mu.Unlock()
	return true, 0
}

// find returns the entry of key h, taking the fullest one of the set
// when h has none.
func (s *set) find(h uint64, now int64, evicted *atomic.Int64) *entry {
	v := 0
	for i := range s.e {
		if s.e[i].key == h {
			return &s.e[i]
		}
		if s.e[i].tat < s.e[v].tat {
			v = i
		}
	}
	e := &s.e[v]
	if e.key != 0 && e.tat > now {
		evicted.Add(1)
	}
	*e = entry{key: h}
	return e
}
