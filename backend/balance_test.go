package backend

import (
	"fmt"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

func cluster(alg order.LoadBalancing, backends ...order.Backend) *Cluster {
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c", LoadBalancing: alg}}, nil)
	for _, b := range backends {
		c.Add(NewBackend(b, 4))
	}
	return c
}

func be(id string, weight int, backup bool) order.Backend {
	return order.Backend{ClusterID: "c", ID: id, Address: "127.0.0.1:1", Weight: weight, Backup: backup}
}

func counts(c *Cluster, n int) map[string]int {
	got := map[string]int{}
	for range n {
		got[pick(c, nil).Config.ID]++
	}
	return got
}

// TestRoundRobinWeights: over whole periods, smooth weighted round robin
// gives each backend exactly its share, and never the same heavy backend
// more than needed in a row.
func TestRoundRobinWeights(t *testing.T) {
	c := cluster(order.RoundRobin, be("a", 1, false), be("b", 3, false), be("c", 0, false))
	// weights 1, 3, 100 (default): period 104 after gcd 1.
	got := counts(c, 104*5)
	if got["a"] != 5 || got["b"] != 15 || got["c"] != 500 {
		t.Fatalf("counts %v", got)
	}
	c = cluster(order.RoundRobin, be("a", 100, false), be("b", 100, false), be("c", 100, false))
	var seq string
	for range 6 {
		seq += pick(c, nil).Config.ID
	}
	if seq != "abcabc" {
		t.Fatalf("equal weights give %q", seq)
	}
	c = cluster(order.RoundRobin, be("a", 5, false), be("b", 1, false), be("c", 1, false))
	seq = ""
	for range 7 {
		seq += pick(c, nil).Config.ID
	}
	if seq != "aabacaa" { // nginx's smooth interleaving for 5:1:1
		t.Fatalf("5:1:1 gives %q", seq)
	}
}

func TestRandomWeights(t *testing.T) {
	c := cluster(order.Random, be("a", 100, false), be("b", 300, false))
	got := counts(c, 40000)
	ratio := float64(got["b"]) / float64(got["a"])
	if ratio < 2.7 || ratio > 3.3 {
		t.Fatalf("1:3 weights gave %v (ratio %.2f)", got, ratio)
	}
}

func TestLeastLoaded(t *testing.T) {
	for _, alg := range []order.LoadBalancing{order.LeastLoaded, order.PowerOfTwo} {
		c := cluster(alg, be("a", 100, false), be("b", 100, false))
		a := c.Backends()[0]
		for range 10 {
			a.Acquire()
		}
		got := counts(c, 200)
		if alg == order.LeastLoaded && got["b"] != 200 {
			t.Errorf("%s: busy backend picked: %v", alg, got)
		}
		if alg == order.PowerOfTwo && got["b"] <= got["a"] {
			t.Errorf("%s: busy backend preferred: %v", alg, got)
		}
	}
}

func TestBackupOnlyWhenNoPrimary(t *testing.T) {
	c := cluster(order.RoundRobin, be("a", 100, false), be("spare", 100, true))
	if got := counts(c, 10); got["spare"] != 0 {
		t.Fatalf("backup used while primary is up: %v", got)
	}
	c.Remove("a")
	if got := counts(c, 10); got["spare"] != 10 {
		t.Fatalf("backup unused without primary: %v", got)
	}
	c.Remove("spare")
	if b := pick(c, nil); b != nil {
		t.Fatalf("empty cluster picked %s", b.Config.ID)
	}
}

func TestPickSkipsFailedBackend(t *testing.T) {
	for _, alg := range []order.LoadBalancing{order.RoundRobin, order.Random, order.LeastLoaded, order.PowerOfTwo} {
		c := cluster(alg, be("a", 100, false), be("b", 100, false), be("c", 100, false))
		bad := c.Backends()[1]
		for range 50 {
			if b := pick(c, bad); b == bad {
				t.Fatalf("%s: picked the skipped backend", alg)
			}
		}
		one := cluster(alg, be("only", 100, false))
		if b := pick(one, one.Backends()[0]); b != nil {
			t.Fatalf("%s: single skipped backend picked", alg)
		}
	}
}

func TestRemoveMarksAndKeepsOthers(t *testing.T) {
	c := cluster(order.RoundRobin, be("a", 100, false), be("b", 100, false))
	a := c.Backends()[0]
	if got := c.Remove("a"); got != a || !a.Removed() {
		t.Fatal("remove did not return and mark the backend")
	}
	if c.Remove("a") != nil {
		t.Fatal("second remove found it")
	}
	if got := counts(c, 10); got["b"] != 10 {
		t.Fatalf("after removal: %v", got)
	}
}

func BenchmarkPick(b *testing.B) {
	for _, alg := range []order.LoadBalancing{order.RoundRobin, order.Random, order.LeastLoaded, order.PowerOfTwo} {
		b.Run(string(alg), func(b *testing.B) {
			var bs []order.Backend
			for i := range 10 {
				bs = append(bs, be(fmt.Sprint(i), 10*(i+1), false))
			}
			c := cluster(alg, bs...)
			b.ReportAllocs()
			for b.Loop() {
				if pick(c, nil) == nil {
					b.Fatal("nil")
				}
			}
		})
	}
}

func TestPickAllocatesNothing(t *testing.T) {
	c := cluster(order.RoundRobin, be("a", 1, false), be("b", 2, false))
	for _, alg := range []order.LoadBalancing{order.RoundRobin, order.Random, order.LeastLoaded, order.PowerOfTwo} {
		c.SetSettings(&Settings{Cluster: order.Cluster{ID: "c", LoadBalancing: alg}})
		if n := testing.AllocsPerRun(1000, func() { pick(c, nil) }); n != 0 {
			t.Errorf("%s: %v allocs per pick", alg, n)
		}
	}
}

// pick is Cluster.Pick without the trial flag.
func pick(c *Cluster, skip *Backend) *Backend {
	b, _ := c.Pick(skip)
	return b
}
