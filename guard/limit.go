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
// once: MaxKeys entries of 16 bytes (32 bits of a 64-bit keyed hash of the
// key beyond those that choose its set, the time, and when the key was
// last seen), in sets of 8 under one lock each. Memory never grows,
// however many keys come.
//
// Eviction: a key not in the table takes an entry of its set: an empty
// one or one whose bucket is full again (a full bucket is the same as no
// bucket: nothing is lost), else the one of the key seen least recently
// (a refused request counts as seen). The hash is keyed with a secret
// seed drawn at start, so a client cannot choose keys that land in a
// victim's set; to push out the bucket of a client that keeps coming it
// must send, between two of that client's requests, 8 fresh keys into
// its set: of the order of 8 times the table's sets (65536 keys for the
// default table) in that time. And a client whose bucket is pushed out
// only gets a full bucket again (Burst requests more), never less.
// Evictions of buckets that were not full are counted (Evicted).
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
	tat  int64  // ns since epoch when the bucket is full again
	tag  uint32 // the hash's low 32 bits, never 0; 0: empty
	seen uint32 // ms since epoch (wrapping) of the key's last request
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
	tag := uint32(h) | 1 // 0 marks an empty entry
	now := int64(time.Since(l.epoch))
	ms := uint32(now / int64(time.Millisecond))
	s := &l.sets[(h>>32)&l.mask]
	s.mu.Lock()
	e := s.find(tag, now, ms, &l.Evicted)
	e.seen = ms
	tat := max(e.tat, now)
	if wait := tat - now - l.tolerance; wait > 0 {
		s.mu.Unlock()
		return false, time.Duration(wait)
	}
	e.tat = tat + l.interval
	s.mu.Unlock()
	return true, 0
}

// find returns the entry of tag, or the one it takes when it has none
// (see Limiter for the choice).
func (s *set) find(tag uint32, now int64, ms uint32, evicted *atomic.Int64) *entry {
	v, age := -1, uint32(0)
	for i := range s.e {
		e := &s.e[i]
		if e.tag == tag {
			return e
		}
		if v >= 0 && (s.e[v].tag == 0 || s.e[v].tat <= now) {
			continue // a free entry is chosen already
		}
		if e.tag == 0 || e.tat <= now {
			v = i
			continue
		}
		if a := ms - e.seen; v < 0 || a > age {
			v, age = i, a
		}
	}
	e := &s.e[v]
	if e.tag != 0 && e.tat > now {
		evicted.Add(1)
	}
	*e = entry{tag: tag}
	return e
}
