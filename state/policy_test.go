package state_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

const bcryptHash = "$2a$10$7d/mDPvT4eBzt7jlBgvSauobG.WCnbYIcafsnPUsespCjpU9VrYbi"

// withPolicies is base with every traffic policy set.
func withPolicies(t *testing.T) state.State {
	s := base(t)
	apply(t, &s, order.UpdateCluster{ID: "shop",
		LoadBalancing: order.Some(order.Maglev),
		HashKey:       order.Some(&order.HashKey{Source: order.HashCookie, Name: "cart"}),
		RateLimit:     order.Some(&order.RateLimit{Rate: 100, Period: order.Duration(time.Minute), Key: order.LimitRoute}),
		Retry:         order.Some(&order.Retry{Attempts: 2, OnStatus: []int{503}, Backoff: order.Duration(10 * time.Millisecond)}),
		Compression:   order.Some(&order.Compression{Algorithms: []string{"gzip"}, MinSize: 10}),
		HealthCheck:   order.Some(&order.HealthCheck{FailOpen: true}),
	})
	apply(t, &s, order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "admin.test", ClusterID: "shop",
		BasicAuth: &order.BasicAuth{Realm: "x", Users: map[string]string{"alice": bcryptHash}},
		RateLimit: &order.RateLimit{Rate: 5, Key: order.LimitHeader, Header: "X-Key"}}})
	return s
}

// TestPolicyDumpRoundTrip: the policies survive a dump and its replay
// (saved state, state save/load), and adding the same frontend again is
// no change.
func TestPolicyDumpRoundTrip(t *testing.T) {
	s := withPolicies(t)
	b, _ := json.Marshal(s.Dump())
	var back order.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	s2 := state.New()
	apply(t, &s2, back.Orders()...)
	if got, want := dump(t, s2), dump(t, s); got != want {
		t.Fatalf("round trip differs:\n%s\n%s", want, got)
	}
	f, _ := s.HTTPFrontend(order.HTTPFrontend{Address: addr, Hostname: "admin.test"})
	if _, fx, err := s.Apply(order.AddHTTPFrontend{HTTPFrontend: f}); err != nil || len(fx) != 0 {
		t.Fatalf("the same frontend again: %v, %d effects", err, len(fx))
	}
}

// TestPolicyDiff: the diff to and from a state with policies applies
// (reload), and is one update_cluster for the cluster's.
func TestPolicyDiff(t *testing.T) {
	a, b := base(t), withPolicies(t)
	checkDiff(t, "policies on", a, b)
	checkDiff(t, "policies off", b, a)
}
