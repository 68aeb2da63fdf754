package listener

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPerIP: the cap refuses the connection past it, counts the refusal,
// and admits again once one is released.
func TestPerIP(t *testing.T) {
	var refused atomic.Int64
	p := NewPerIP(2, &refused)
	a, b := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	if !p.Acquire(a) || !p.Acquire(a) || !p.Acquire(b) {
		t.Fatal("refused under the cap")
	}
	if p.Acquire(a) || refused.Load() != 1 || p.Count(a) != 2 {
		t.Fatalf("over the cap: count %d, refused %d", p.Count(a), refused.Load())
	}
	p.Release(a)
	if !p.Acquire(a) {
		t.Fatal("refused after a release")
	}
	p.Release(a)
	p.Release(a)
	p.Release(b)
	for i := range p.shards {
		if m := p.shards[i].n; len(m) != 0 {
			t.Fatalf("counts left after every release: %v", m)
		}
	}
}

// TestPerIPConcurrent: counts stay exact under concurrent use.
func TestPerIPConcurrent(t *testing.T) {
	p := NewPerIP(1000, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(g % 3)})
			for range 1000 {
				if p.Acquire(ip) {
					p.Release(ip)
				}
			}
		}()
	}
	wg.Wait()
	for g := range 3 {
		if n := p.Count(netip.AddrFrom4([4]byte{10, 0, 0, byte(g)})); n != 0 {
			t.Fatalf("count %d left", n)
		}
	}
}
