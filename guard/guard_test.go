package guard

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sluiceproxy/sluice/order"
)

func TestLimiterBurstAndRate(t *testing.T) {
	l := NewLimiter(&order.RateLimit{Rate: 10, Period: order.Duration(time.Second), Burst: 3})
	a := netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if ok, _ := l.AllowAddr(a); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.AllowAddr(a)
	if ok || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("past the burst: ok %v, wait %v (want up to 100ms: 10 a second)", ok, wait)
	}
	if ok, _ := l.AllowAddr(netip.MustParseAddr("192.0.2.2")); !ok {
		t.Fatalf("another address shares the bucket")
	}
	time.Sleep(wait + 5*time.Millisecond)
	if ok, _ := l.AllowAddr(a); !ok {
		t.Fatalf("refused after the wait it announced")
	}
}

// TestLimiterIPv6Prefix: one host holds a /64; its addresses share a
// bucket.
func TestLimiterIPv6Prefix(t *testing.T) {
	l := NewLimiter(&order.RateLimit{Rate: 1, Period: order.Duration(time.Hour)})
	if ok, _ := l.AllowAddr(netip.MustParseAddr("2001:db8::1")); !ok {
		t.Fatal("first refused")
	}
	if ok, _ := l.AllowAddr(netip.MustParseAddr("2001:db8::ffff:1")); ok {
		t.Fatal("another address of the same /64 has its own bucket")
	}
	if ok, _ := l.AllowAddr(netip.MustParseAddr("2001:db8:0:1::1")); !ok {
		t.Fatal("another /64 shares the bucket")
	}
}

// TestLimiterBoundedUnderManyKeys: a million distinct keys leave the
// table at its size, and the keys being limited keep their buckets
// (evictions take the fullest first).
func TestLimiterBoundedUnderManyKeys(t *testing.T) {
	l := NewLimiter(&order.RateLimit{Rate: 1, Period: order.Duration(time.Hour), MaxKeys: 65536})
	victim := netip.MustParseAddr("198.51.100.7")
	l.AllowAddr(victim) // its bucket is now empty for an hour
	before := l.Bytes()
	var b [4]byte
	for i := range 1_000_000 {
		b[0], b[1], b[2], b[3] = 10, byte(i>>16), byte(i>>8), byte(i)
		l.AllowAddr(netip.AddrFrom4(b))
	}
	if l.Bytes() != before {
		t.Fatalf("the table grew from %d to %d bytes", before, l.Bytes())
	}
	// Every key is drained for an hour: the table is full of live
	// buckets, and older ones were pushed out.
	t.Logf("%d keys in %d bytes (%d a key); %d drained buckets evicted", l.Capacity(), l.Bytes(), l.Bytes()/l.Capacity(), l.Evicted.Load())
	// A victim that keeps asking keeps its bucket: its entry is younger.
	l2 := NewLimiter(&order.RateLimit{Rate: 1, Period: order.Duration(time.Hour), MaxKeys: 65536})
	l2.AllowAddr(victim)
	for i := range 200_000 {
		b[0], b[1], b[2], b[3] = 10, byte(i>>16), byte(i>>8), byte(i)
		l2.AllowAddr(netip.AddrFrom4(b))
		if i%1000 == 0 {
			if ok, _ := l2.AllowAddr(victim); ok {
				t.Fatalf("the victim got a fresh bucket after %d other keys", i)
			}
		}
	}
}

func TestLimiterRoute(t *testing.T) {
	l := NewLimiter(&order.RateLimit{Rate: 2, Period: order.Duration(time.Hour), Key: order.LimitRoute})
	if l.Capacity() != ways {
		t.Fatalf("a route limiter holds %d entries", l.Capacity())
	}
	l.AllowAddr(netip.MustParseAddr("192.0.2.1"))
	l.AllowAddr(netip.MustParseAddr("192.0.2.2"))
	if ok, _ := l.AllowAddr(netip.MustParseAddr("192.0.2.3")); ok {
		t.Fatal("a route's bucket is per client")
	}
}

// BenchmarkLimiter reports ns per decision and bytes per key, over a
// million distinct client addresses, for the default table and one of a
// million keys.
func BenchmarkLimiter(b *testing.B) {
	for _, keys := range []int{order.DefaultLimitKeys, 1 << 20} {
		b.Run(fmt.Sprintf("max_keys=%d", keys), func(b *testing.B) {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			l := NewLimiter(&order.RateLimit{Rate: 100, MaxKeys: keys})
			runtime.ReadMemStats(&m1)
			addrs := make([]netip.Addr, 1_000_000)
			for i := range addrs {
				addrs[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				l.AllowAddr(addrs[i%len(addrs)])
				i++
			}
			b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(l.Capacity()), "bytes/key")
			b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc), "table-bytes")
		})
	}
}

func BenchmarkLimiterParallel(b *testing.B) {
	l := NewLimiter(&order.RateLimit{Rate: 100})
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.AllowAddr(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
			i++
		}
	})
}

func TestBudget(t *testing.T) {
	bu := NewBudget(20)
	for range 1000 {
		bu.Request()
	}
	n := 0
	for bu.Retry() {
		n++
		if n > 10000 {
			t.Fatal("no bound")
		}
	}
	// 20% of 1000, plus the floor of 10 a second over the 10 s window.
	if n != 200+MinPerSecond*budgetSlots {
		t.Fatalf("%d retries allowed, want %d", n, 200+MinPerSecond*budgetSlots)
	}
}

func TestAuth(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	a := NewAuth(&order.BasicAuth{Users: map[string]string{"u": string(h)}})
	enc := func(s string) []byte { return []byte("Basic " + base64.StdEncoding.EncodeToString([]byte(s))) }
	for _, c := range []struct {
		v  []byte
		ok bool
	}{
		{enc("u:pw"), true}, {enc("u:pw"), true}, {enc("u:pw2"), false}, {enc("v:pw"), false},
		{enc("upw"), false}, {[]byte("Basic"), false}, {[]byte("basic " + base64.StdEncoding.EncodeToString([]byte("u:pw"))), true},
		{nil, false}, {[]byte("Digest x"), false},
	} {
		if got := a.Check(c.v); got != c.ok {
			t.Errorf("Check(%q) = %v", c.v, got)
		}
	}
	if string(a.Challenge) != `Basic realm="restricted", charset="UTF-8"` {
		t.Errorf("challenge %q", a.Challenge)
	}
}

func BenchmarkAuthCached(b *testing.B) {
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	a := NewAuth(&order.BasicAuth{Users: map[string]string{"u": string(h)}})
	v := []byte("Basic " + base64.StdEncoding.EncodeToString([]byte("u:pw")))
	a.Check(v)
	b.ReportAllocs()
	for b.Loop() {
		a.Check(v)
	}
}

// TestAuthOneHashForConcurrentRequests: a new client's requests arriving
// together cost one password hash, not one each.
func TestAuthOneHashForConcurrentRequests(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), 10)
	a := NewAuth(&order.BasicAuth{Users: map[string]string{"u": string(h)}})
	v := []byte("Basic " + base64.StdEncoding.EncodeToString([]byte("u:pw")))
	start := time.Now()
	bcrypt.CompareHashAndPassword(h, []byte("pw"))
	one := time.Since(start)
	start = time.Now()
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !a.Check(v) {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if bad.Load() != 0 {
		t.Fatalf("%d checks failed", bad.Load())
	}
	if took > 5*one+100*time.Millisecond {
		t.Fatalf("50 concurrent checks took %v, one hash %v", took, one)
	}
}
