package state_test

import (
	"fmt"
	"testing"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// BenchmarkApplyFrontend100k: one add_http_frontend order applied to a
// State that holds 100 000 frontends (the persistent maps copy a 4096th of
// them).
func BenchmarkApplyFrontend100k(b *testing.B) {
	s := state.New()
	must := func(o order.Order) {
		next, _, err := s.Apply(o)
		if err != nil {
			b.Fatal(err)
		}
		s = next
	}
	must(order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:80"}})
	must(order.AddCluster{Cluster: order.Cluster{ID: "c"}})
	for i := range 100000 {
		must(order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80",
			Hostname: fmt.Sprintf("h%d.example.com", i), ClusterID: "c"}})
	}
	o := order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "new.example.com", ClusterID: "c"}}
	b.ResetTimer()
	for range b.N {
		if _, _, err := s.Apply(o); err != nil {
			b.Fatal(err)
		}
	}
}
