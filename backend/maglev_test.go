package backend

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
)

const maglevKeys = 100000

func keyHash(i int) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	return HashKey(b[:])
}

func owners(c *Cluster) []string {
	out := make([]string, maglevKeys)
	for i := range out {
		b, _ := c.PickHash(nil, keyHash(i), true)
		out[i] = b.Config.ID
	}
	return out
}

func moved(a, b []string) float64 {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

// TestMaglevMinimalRemapping measures the share of keys that move when a
// backend joins or leaves: about 1/N, the least possible (the keys of the
// backend that left, or those the new one takes), and never much more.
func TestMaglevMinimalRemapping(t *testing.T) {
	for _, n := range []int{3, 10, 50} {
		var bs []order.Backend
		for i := range n {
			bs = append(bs, be(fmt.Sprintf("b%d", i), 100, false))
		}
		c := cluster(order.Maglev, bs...)
		before := owners(c)

		// One leaves: its keys move, and only about its share.
		gone := bs[n/2].ID
		c.Remove(gone)
		after := owners(c)
		share := moved(before, after)
		ideal := 1 / float64(n)
		t.Logf("%d backends, one leaves: %.2f%% of the keys moved (ideal %.2f%%)", n, 100*share, 100*ideal)
		if share > ideal*1.3+0.002 {
			t.Errorf("%d backends, one leaves: %.3f of the keys moved, want about %.3f", n, share, ideal)
		}
		for i := range before {
			if before[i] == gone && after[i] == gone {
				t.Fatalf("a key stayed on the removed backend")
			}
		}

		// It joins again: the same mapping as before it left.
		c.Add(NewBackend(be(gone, 100, false), 4))
		if back := moved(before, owners(c)); back != 0 {
			t.Errorf("%d backends: %.4f of the keys differ once the backend is back", n, back)
		}

		// A new one joins: it takes about 1/(n+1) of the keys.
		c.Add(NewBackend(be("new", 100, false), 4))
		share = moved(before, owners(c))
		ideal = 1 / float64(n+1)
		t.Logf("%d backends, one joins: %.2f%% of the keys moved (ideal %.2f%%)", n, 100*share, 100*ideal)
		if share > ideal*1.3+0.002 {
			t.Errorf("%d backends, one joins: %.3f of the keys moved, want about %.3f", n, share, ideal)
		}
	}
}

// TestMaglevWeightsAndBackups: shares follow weights; backups take keys
// only when no primary can.
func TestMaglevWeightsAndBackups(t *testing.T) {
	c := cluster(order.Maglev, be("a", 100, false), be("b", 300, false), be("spare", 100, true))
	got := map[string]int{}
	for _, o := range owners(c) {
		got[o]++
	}
	if got["spare"] != 0 {
		t.Errorf("the backup took %d keys", got["spare"])
	}
	if r := float64(got["b"]) / float64(got["a"]); math.Abs(r-3) > 0.15 {
		t.Errorf("weights 100:300 give %v (ratio %.2f)", got, r)
	}
	// A backend that cannot take requests: its keys go elsewhere, the
	// others' stay.
	before := owners(c)
	bs := c.Backends()
	markDownForTest(bs[1]) // b
	after := owners(c)
	for i := range before {
		if before[i] == "a" && after[i] != "a" {
			t.Fatalf("a key of a moved while b was down")
		}
		if after[i] == "b" {
			t.Fatalf("a key went to b while down")
		}
	}
	markDownForTest(bs[0]) // a too: the backup takes everything
	for _, o := range owners(c) {
		if o != "spare" {
			t.Fatalf("key on %s with every primary down", o)
		}
	}
}

func BenchmarkMaglevPick(b *testing.B) {
	var bs []order.Backend
	for i := range 10 {
		bs = append(bs, be(fmt.Sprintf("b%d", i), 100, false))
	}
	c := cluster(order.Maglev, bs...)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.PickHash(nil, uint64(i)*0x9e3779b97f4a7c15, true)
	}
}

// markDownForTest sets b down as the request path sees it.
func markDownForTest(b *Backend) { b.status.Store(uint32(health.Down)) }
