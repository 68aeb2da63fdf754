package state_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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

// certPool reads the certificates the random states choose from.
func certPool(t *testing.T) []order.CertificateAndKey {
	var out []order.CertificateAndKey
	for _, n := range []string{"default", "shop", "www"} {
		c, err1 := os.ReadFile(filepath.Join("testdata", "certs", n+".pem"))
		k, err2 := os.ReadFile(filepath.Join("testdata", "certs", n+".key"))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		out = append(out, order.CertificateAndKey{Certificate: string(c), Key: string(k)})
	}
	return out
}

// randomState applies n random orders to s, keeping those that apply.
// The orders draw from small pools of addresses, ids and settings, so that
// states collide: same keys with other settings, addresses that two
// backends want, listeners that change protocol.
func randomState(r *rand.Rand, pems []order.CertificateAndKey, s state.State, n int) state.State {
	for range n {
		if next, _, err := s.Apply(randomOrder(r, pems)); err == nil {
			s = next
		}
	}
	return s
}

// mutate applies n orders to s, half of them random, half changing an
// object s has (a frontend's target, a backend's settings, a listener's or
// a cluster's), as a reload usually does.
func mutate(r *rand.Rand, pems []order.CertificateAndKey, s state.State, n int) state.State {
	for range n {
		o := randomOrder(r, pems)
		if r.IntN(2) == 0 {
			if m := changeOrder(r, s); m != nil {
				o = m
			}
		}
		if next, _, err := s.Apply(o); err == nil {
			s = next
		}
	}
	return s
}

// changeOrder is an update of an object of s, or nil when s has none of
// the kind drawn.
func changeOrder(r *rand.Rand, s state.State) order.Order {
	switch r.IntN(4) {
	case 0:
		fs := append(s.HTTPFrontends(order.HTTP), s.HTTPFrontends(order.HTTPS)...)
		if len(fs) == 0 {
			return nil
		}
		f := pickOf(r, fs...)
		if r.IntN(3) == 0 {
			f.ClusterID, f.Deny = "", true
		} else {
			f.ClusterID, f.Deny = pickOf(r, clusterIDs...), false
		}
		if l, _ := s.Listener(f.Address); l.Protocol == order.HTTPS {
			return order.UpdateHTTPSFrontend{HTTPFrontend: f}
		}
		return order.UpdateHTTPFrontend{HTTPFrontend: f}
	case 1:
		bs := s.Backends("")
		if len(bs) == 0 {
			return nil
		}
		b := pickOf(r, bs...)
		return order.UpdateBackend{ClusterID: b.ClusterID, ID: b.ID, Weight: order.Some(pickOf(r, 1, 7, 100, 1000)),
			Backup: order.Some(r.IntN(3) == 0)}
	case 2:
		ls := s.Listeners()
		if len(ls) == 0 {
			return nil
		}
		return order.UpdateListener{Address: pickOf(r, ls...).Address, ConnectTimeout: order.Some(order.Duration(pickOf[time.Duration](r, 0, 1, 2) * time.Second))}
	}
	cs := s.Clusters()
	if len(cs) == 0 {
		return nil
	}
	return order.UpdateCluster{ID: pickOf(r, cs...).ID, HTTPSRedirect: order.Some(r.IntN(2) == 0)}
}

func pickOf[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

var (
	listenAddrs  = []string{"127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003", "127.0.0.1:8004"}
	clusterIDs   = []string{"c1", "c2", "c3"}
	backendIDs   = []string{"a", "b", "c"}
	backendAddrs = []string{"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003"}
)

func randomOrder(r *rand.Rand, pems []order.CertificateAndKey) order.Order {
	addr := pickOf(r, listenAddrs...)
	cl := pickOf(r, clusterIDs...)
	switch r.IntN(20) {
	case 0, 1:
		l := order.Listener{Protocol: pickOf(r, order.HTTP, order.HTTPS, order.TCP), Address: addr, Active: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			l.FrontTimeout = order.Duration(pickOf[time.Duration](r, 30, 60) * time.Second)
		}
		if r.IntN(3) == 0 {
			l.MaxConnectionsPerIP = pickOf(r, 5, 10)
		}
		if l.Protocol != order.TCP && r.IntN(2) == 0 {
			l.Answers = map[string]string{"503": pickOf(r, "<p>busy</p>", "HTTP/1.1 503 Busy\r\nRetry-After: 1\r\n\r\nbusy")}
		}
		if l.Protocol == order.HTTPS && r.IntN(2) == 0 {
			c := pickOf(r, pems...)
			l.Certificate = &c
		}
		return order.AddListener{Listener: l}
	case 2:
		return order.UpdateListener{Address: addr, StickyName: order.Some(pickOf(r, "", "S1", "S2")),
			MaxHeadBytes: order.Some(pickOf(r, 0, 16384)), TLSVersions: order.Some(pickOf(r, []string(nil), []string{"TLS1.3"}))}
	case 3:
		if r.IntN(4) == 0 {
			return order.RemoveListener{Address: addr}
		}
		if r.IntN(2) == 0 {
			return order.DeactivateListener{Address: addr}
		}
		return order.ActivateListener{Address: addr}
	case 4, 5:
		c := order.Cluster{ID: cl, Protocol: pickOf(r, order.HTTP, order.HTTP, order.TCP),
			LoadBalancing: pickOf(r, order.RoundRobin, order.Random), StickySession: r.IntN(2) == 0}
		if r.IntN(3) == 0 {
			c.HealthCheck = &order.HealthCheck{Path: pickOf(r, "/", "/health")}
		}
		return order.AddCluster{Cluster: c}
	case 6:
		return order.UpdateCluster{ID: cl, LoadBalancing: order.Some(pickOf(r, order.LeastLoaded, order.RoundRobin)),
			Answers:     order.Some(pickOf(r, map[string]string(nil), map[string]string{"502": "<p>bad</p>"})),
			HealthCheck: order.Some(pickOf(r, (*order.HealthCheck)(nil), &order.HealthCheck{Type: order.CheckTCP}))}
	case 7:
		if r.IntN(5) == 0 {
			return order.RemoveCluster{ID: cl}
		}
		return order.RemoveBackend{ClusterID: cl, ID: pickOf(r, backendIDs...)}
	case 8, 9, 10:
		return order.AddBackend{Backend: order.Backend{ClusterID: cl, ID: pickOf(r, backendIDs...),
			Address: pickOf(r, backendAddrs...), Weight: pickOf(r, 0, 1, 50, 1000), Backup: r.IntN(4) == 0,
			StickyID: pickOf(r, "", "", "s1", "s2")}}
	case 11, 12:
		u := order.UpdateBackend{ClusterID: cl, ID: pickOf(r, backendIDs...), Weight: order.Some(pickOf(r, 1, 50, 1000))}
		if r.IntN(2) == 0 {
			u.Address = order.Some(pickOf(r, backendAddrs...))
		}
		if r.IntN(3) == 0 {
			u.StickyID = order.Some(pickOf(r, "", "s1", "s2", "s3"))
		}
		return u
	case 13, 14, 15, 16:
		f := order.HTTPFrontend{Address: addr, Hostname: pickOf(r, "a.test", "*.test", "*"), Path: pickOf(r, "", "/x"),
			Method: pickOf(r, "", "GET")}
		if r.IntN(4) == 0 {
			f.Deny = true
		} else {
			f.ClusterID = cl
		}
		switch r.IntN(6) {
		case 0, 1:
			return order.AddHTTPSFrontend{HTTPFrontend: f}
		case 2:
			return pickOf[order.Order](r, order.UpdateHTTPFrontend{HTTPFrontend: f}, order.UpdateHTTPSFrontend{HTTPFrontend: f})
		case 3:
			return pickOf[order.Order](r, order.RemoveHTTPFrontend{HTTPFrontend: f}, order.RemoveHTTPSFrontend{HTTPFrontend: f})
		}
		return order.AddHTTPFrontend{HTTPFrontend: f}
	case 17:
		f := order.TCPFrontend{Address: addr, ClusterID: cl}
		return pickOf[order.Order](r, order.AddTCPFrontend{TCPFrontend: f}, order.UpdateTCPFrontend{TCPFrontend: f},
			order.RemoveTCPFrontend{TCPFrontend: f})
	}
	c := pickOf(r, pems...)
	if r.IntN(3) == 0 {
		return order.RemoveCertificate{Address: addr, Fingerprint: pickOf(r, "x", fingerprint(c))}
	}
	if r.IntN(3) == 0 {
		return order.ReplaceCertificate{Address: addr, OldFingerprint: fingerprint(pickOf(r, pems...)), Certificate: c}
	}
	return order.AddCertificate{Address: addr, Certificate: c, Default: r.IntN(3) == 0}
}

// fingerprint is a certificate's fingerprint, as the state computes it.
func fingerprint(c order.CertificateAndKey) string {
	s, _, err := state.New().WithClock(func() time.Time { return clock }).Apply(order.AddListener{Listener: order.Listener{
		Protocol: order.HTTPS, Address: "127.0.0.1:1", Certificate: &c}})
	if err != nil {
		return ""
	}
	return s.Certificates("")[0].Fingerprint
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
