package exchange

import (
	"testing"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
)

// BenchmarkDecide is the decision of a plain request on an http listener
// without ACME and with ACME HTTP-01 tokens in progress (the request is
// not a validation): what ACME costs a request that is not one.
func BenchmarkDecide(b *testing.B) {
	cl := backend.NewCluster(&backend.Settings{Cluster: order.Cluster{ID: "shop"}}, nil)
	defer cl.Close()
	routes, err := router.New[*listener.Route]().Add(router.Rule[*listener.Route]{Hostname: "shop.test", Path: "/",
		PathType: router.PathPrefix, Target: &listener.Route{Cluster: cl}})
	if err != nil {
		b.Fatal(err)
	}
	req := &Request{Method: []byte("GET"), Host: []byte("shop.test"), Target: []byte("/api/items"), Path: []byte("/api/items"),
		ContentLength: -1, Minor: 1}
	set := &listener.Settings{Proto: "http"}
	for _, c := range []struct {
		name string
		ch   Challenges
	}{{"none", nil}, {"acme", tokens{"tok3n": "tok3n.Thumbprint"}}} {
		b.Run(c.name, func(b *testing.B) {
			f := &Facts{Req: req, Listener: set, Routes: routes, Challenges: c.ch}
			b.ReportAllocs()
			for b.Loop() {
				if d := Decide(f); d.Cluster != cl {
					b.Fatal("not forwarded")
				}
			}
		})
	}
}
