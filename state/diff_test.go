package state_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// TestDiffRandomPairs: for random pairs of states (seeded, so a failure
// names a pair that can be replayed), the diff of a and b applied to a, as
// one batch, gives b (equal dumps); the diff of a state with itself is
// empty; and a backend that stays with the same address and sticky id is
// never removed. Half of the pairs are independent states, half a state
// and the same state with some orders applied, which is what a reload
// usually sees.
func TestDiffRandomPairs(t *testing.T) {
	pems := certPool(t)
	const pairs = 600
	for i := range pairs {
		seed := uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		a := randomState(r, pems, state.New().WithClock(func() time.Time { return clock }), 120)
		var b state.State
		if i%2 == 0 {
			b = randomState(r, pems, state.New().WithClock(func() time.Time { return clock }), 120)
		} else {
			b = mutate(r, pems, a, 25)
		}
		checkDiff(t, fmt.Sprintf("pair %d (seed %d)", i, seed), a, b)
	}
}

func checkDiff(t *testing.T, name string, a, b state.State) {
	t.Helper()
	orders := state.Diff(a, b)
	got, _, err := a.ApplyAll(orders)
	if err != nil {
		t.Fatalf("%s: the diff does not apply: %v\n%s", name, err, kinds(orders))
	}
	if g, w := dumpOf(t, got), dumpOf(t, b); g != w {
		t.Fatalf("%s: apply(a, diff(a, b)) != b\n got %s\nwant %s\ndiff:\n%s", name, g, w, kinds(orders))
	}
	if again := state.Diff(b, b); len(again) != 0 {
		t.Fatalf("%s: the diff of a state with itself has %d orders:\n%s", name, len(again), kinds(again))
	}
	for _, o := range orders {
		rb, ok := o.(order.RemoveBackend)
		if !ok {
			continue
		}
		was, _ := a.Backend(rb.ClusterID, rb.ID)
		now, stays := b.Backend(rb.ClusterID, rb.ID)
		ca, _ := a.Cluster(rb.ClusterID)
		cb, _ := b.Cluster(rb.ClusterID)
		if stays && ca.Protocol == cb.Protocol && was.Address == now.Address && was.StickyID == now.StickyID {
			t.Fatalf("%s: the diff removes backend %s/%s, whose address and sticky id stay:\n%s", name, rb.ClusterID, rb.ID, kinds(orders))
		}
	}
}

func kinds(orders []order.Order) string {
	var b strings.Builder
	for _, o := range orders {
		fmt.Fprintf(&b, "  %s %+v\n", o.Kind(), o)
	}
	return b.String()
}

// TestDiffWeightChangeIsAnUpdate: the diff of a weight change is one
// update_backend, not a remove and an add.
func TestDiffWeightChangeIsAnUpdate(t *testing.T) {
	a := base(t)
	b := a
	apply(t, &b, order.UpdateBackend{ClusterID: "shop", ID: "a", Weight: order.Some(7)})
	orders := state.Diff(a, b)
	if len(orders) != 1 {
		t.Fatalf("diff:\n%s", kinds(orders))
	}
	u, ok := orders[0].(order.UpdateBackend)
	if !ok || !u.Weight.Set || u.Weight.V != 7 || u.Address.Set || u.Backup.Set || u.StickyID.Set {
		t.Fatalf("diff: %+v", orders[0])
	}
}

// TestDiffSwappedAddresses: two backends exchanging their addresses
// cannot be updated one after the other; the diff still applies.
func TestDiffSwappedAddresses(t *testing.T) {
	a := base(t)
	b := a
	apply(t, &b,
		order.UpdateBackend{ClusterID: "shop", ID: "a", Address: order.Some("127.0.0.1:3999")},
		order.UpdateBackend{ClusterID: "shop", ID: "b", Address: order.Some("127.0.0.1:3000")},
		order.UpdateBackend{ClusterID: "shop", ID: "a", Address: order.Some("127.0.0.1:3001")},
	)
	checkDiff(t, "swap", a, b)
}

// TestDiffOrdering: the orders of a diff, in the order Diff gives them,
// for a pair that needs each kind of step: a listener whose per-IP cap
// changes (removed and added again, its frontend with it), a default
// certificate swapped, a tcp frontend pointed elsewhere, a backend
// reweighted, a new cluster a frontend moves to.
func TestDiffOrdering(t *testing.T) {
	pems := certPool(t) // default, shop, www
	s := state.New().WithClock(func() time.Time { return clock })
	apply(t, &s,
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:8001", Active: true}},
		order.AddListener{Listener: order.Listener{Protocol: order.HTTPS, Address: "127.0.0.1:8443", Certificate: &pems[0]}},
		order.AddListener{Listener: order.Listener{Protocol: order.TCP, Address: "127.0.0.1:9000"}},
		order.AddCluster{Cluster: order.Cluster{ID: "shop"}},
		order.AddCluster{Cluster: order.Cluster{ID: "db", Protocol: order.TCP}},
		order.AddCluster{Cluster: order.Cluster{ID: "cache", Protocol: order.TCP}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:8001", Hostname: "a.test", ClusterID: "shop"}},
		order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:8443", Hostname: "a.test", ClusterID: "shop"}},
		order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9000", ClusterID: "db"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "a", Address: "127.0.0.1:3000"}},
	)
	a, b := s, s
	apply(t, &b,
		order.RemoveListener{Address: "127.0.0.1:8001"},
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:8001", Active: true, MaxConnectionsPerIP: 5}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:8001", Hostname: "a.test", ClusterID: "shop"}},
		order.ReplaceCertificate{Address: "127.0.0.1:8443", OldFingerprint: fingerprint(pems[0]), Certificate: pems[2]},
		order.UpdateTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9000", ClusterID: "cache"}},
		order.UpdateBackend{ClusterID: "shop", ID: "a", Weight: order.Some(5)},
		order.AddCluster{Cluster: order.Cluster{ID: "blog"}},
		order.UpdateHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:8443", Hostname: "a.test", ClusterID: "blog"}},
	)
	checkDiff(t, "ordering", a, b)
	var got []string
	for _, o := range state.Diff(a, b) {
		got = append(got, string(o.Kind()))
	}
	want := []string{
		"remove_listener",       // 127.0.0.1:8001: its per-IP cap is fixed; its frontend goes with it
		"add_listener",          // 127.0.0.1:8001, inactive
		"replace_certificate",   // the default of 127.0.0.1:8443
		"add_cluster",           // blog
		"update_backend",        // shop/a weight 5
		"add_http_frontend",     // a.test on the new 127.0.0.1:8001
		"update_https_frontend", // a.test on 127.0.0.1:8443 -> blog
		"update_tcp_frontend",   // 127.0.0.1:9000 -> cache
		"activate_listener",     // 127.0.0.1:8001
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("diff:\n got %v\nwant %v", got, want)
	}
}

// TestFrontendsListInKeyOrder: frontends that differ only in position or
// conditions list (and dump) in one order, pre before tree before post,
// then by condition, whatever the order of the map that holds them.
// Before the order covered the whole key, such frontends came out in map
// order, which changes with the process's hash seed: a dump of a state
// could differ from the dump of an equal state (TestDiffRandomPairs
// failed so once in CI, on two https frontends differing in position).
func TestFrontendsListInKeyOrder(t *testing.T) {
	s := state.New()
	apply(t, &s, order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: addr}},
		order.AddCluster{Cluster: order.Cluster{ID: "shop"}})
	type want struct {
		pos   order.Position
		value string
	}
	var wants []want
	for _, pos := range []order.Position{order.Pre, order.Tree, order.Post} {
		for v := range 8 {
			wants = append(wants, want{pos, fmt.Sprint("v", v)})
		}
	}
	// Added in reverse, so that insertion order is not what is checked.
	for _, w := range slices.Backward(wants) {
		apply(t, &s, order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.test",
			ClusterID: "shop", Position: w.pos, MatchHeaders: []order.Predicate{{Name: "x-v", Match: order.MatchExact, Value: w.value}}}})
	}
	first := dump(t, s)
	for range 20 {
		got := s.HTTPFrontends(order.HTTP)
		if len(got) != len(wants) {
			t.Fatalf("%d frontends listed, want %d", len(got), len(wants))
		}
		for i, f := range got {
			pos := f.Position
			if pos == "" {
				pos = order.Tree
			}
			if pos != wants[i].pos || f.MatchHeaders[0].Value != wants[i].value {
				t.Fatalf("frontend %d is %s %s, want %s %s", i, pos, f.MatchHeaders[0].Value, wants[i].pos, wants[i].value)
			}
		}
		if d := dump(t, s); d != first {
			t.Fatalf("two dumps of one state differ:\n%s\n%s", first, d)
		}
	}
}
