package state_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

func apply(t *testing.T, s *state.State, os ...order.Order) {
	t.Helper()
	for _, o := range os {
		next, _, err := s.Apply(o)
		if err != nil {
			t.Fatalf("%s: %v", o.Kind(), err)
		}
		*s = next
	}
}

func dump(t *testing.T, s state.State) string {
	t.Helper()
	b, err := json.Marshal(s.Dump())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const addr = "127.0.0.1:8080"

func base(t *testing.T) state.State {
	s := state.New()
	apply(t, &s,
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: addr}},
		order.AddListener{Listener: order.Listener{Protocol: order.TCP, Address: "127.0.0.1:9000"}},
		order.AddCluster{Cluster: order.Cluster{ID: "shop"}},
		order.AddCluster{Cluster: order.Cluster{ID: "db", Protocol: order.TCP}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "shop.example.com", ClusterID: "shop"}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "*.example.com", Path: "/admin", Deny: true}},
		order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9000", ClusterID: "db"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "a", Address: "127.0.0.1:3000"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "b", Address: "127.0.0.1:3001", Weight: 3}},
	)
	return s
}

// TestRejectedOrdersChangeNothing: every invalid order gets an error naming
// its field, and the state stays exactly as it was.
func TestRejectedOrdersChangeNothing(t *testing.T) {
	bad := []struct {
		o     order.Order
		field string
	}{
		{order.AddListener{Listener: order.Listener{Protocol: "udp", Address: "127.0.0.1:1"}}, "listener.protocol"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "nohost"}}, "listener.address"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "local host:80"}}, "listener.address"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:70000"}}, "listener.address"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTPS, Address: addr}}, "listener.address"}, // conflict
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:1", Answers: map[string]string{"abc": "x"}}}, "listener.answers"},
		{order.RemoveListener{Address: "127.0.0.1:1"}, "listener.address"},
		{order.ActivateListener{Address: "127.0.0.1:1"}, "listener.address"},
		{order.AddCluster{Cluster: order.Cluster{ID: ""}}, "cluster.id"},
		{order.AddCluster{Cluster: order.Cluster{ID: "bad id"}}, "cluster.id"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", LoadBalancing: "fastest"}}, "cluster.load_balancing"},
		{order.AddCluster{Cluster: order.Cluster{ID: "shop", Protocol: order.TCP}}, "cluster.protocol"},
		{order.RemoveCluster{ID: "nope"}, "cluster.id"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.example.com", ClusterID: "nope"}}, "frontend.cluster_id"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.example.com", ClusterID: "db"}}, "frontend.cluster_id"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:1", Hostname: "a.example.com", ClusterID: "shop"}}, "frontend.address"},
		{order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.example.com", ClusterID: "shop"}}, "frontend.address"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.*.com", ClusterID: "shop"}}, "frontend.hostname"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.com", Path: "(", PathType: order.Regex, ClusterID: "shop"}}, "frontend.path"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.com", PathType: "glob", ClusterID: "shop"}}, "frontend.path_type"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "a.com", ClusterID: "shop", Deny: true}}, "frontend.cluster_id"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "shop.example.com", Deny: true}}, "frontend"}, // conflict
		{order.RemoveHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "nope.example.com"}}, "frontend"},
		{order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9000", ClusterID: "shop"}}, "frontend.cluster_id"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "nope", ID: "a", Address: "127.0.0.1:1"}}, "backend.cluster_id"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "a", Address: "127.0.0.1:1"}}, "backend.id"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "c", Address: "127.0.0.1:3000"}}, "backend.address"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "c", Address: "127.0.0.1:1", Weight: 5000}}, "backend.weight"},
		{order.RemoveBackend{ClusterID: "shop", ID: "zz"}, "backend.id"},
		{order.AddCertificate{Address: addr, Certificate: order.CertificateAndKey{Certificate: "x", Key: "y"}}, "certificate.certificate"},
		{order.RemoveCertificate{Address: addr, Fingerprint: "00"}, "certificate.address"},
	}
	s := base(t)
	before := dump(t, s)
	for _, c := range bad {
		next, fx, err := s.Apply(c.o)
		if err == nil {
			t.Errorf("%s %+v: accepted", c.o.Kind(), c.o)
			continue
		}
		fe, ok := err.(*order.FieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("%s: error %q, want field %q", c.o.Kind(), err, c.field)
		}
		if after := dump(t, next); after != before || fx != nil {
			t.Fatalf("%s changed the state or has effects %v:\n%s\n%s", c.o.Kind(), fx, before, after)
		}
	}
}

func TestIdenticalAddIsOK(t *testing.T) {
	s := base(t)
	before := dump(t, s)
	apply(t, &s,
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: addr}},
		order.AddCluster{Cluster: order.Cluster{ID: "shop"}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "SHOP.example.com", ClusterID: "shop"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "a", Address: "127.0.0.1:3000", Weight: 100}},
	)
	if after := dump(t, s); after != before {
		t.Fatalf("identical adds changed the state:\n%s\n%s", before, after)
	}
}

func TestRemoveClusterCascades(t *testing.T) {
	s := base(t)
	apply(t, &s, order.RemoveCluster{ID: "shop"})
	if n := len(s.Backends("")); n != 0 {
		t.Errorf("%d backends left", n)
	}
	fs := s.HTTPFrontends(order.HTTP)
	if len(fs) != 1 || !fs[0].Deny {
		t.Errorf("frontends left: %+v", fs)
	}
}

func TestRemoveListenerCascades(t *testing.T) {
	s := base(t)
	apply(t, &s, order.RemoveListener{Address: addr}, order.RemoveListener{Address: "127.0.0.1:9000"})
	if n := len(s.HTTPFrontends(order.HTTP)) + len(s.TCPFrontends()); n != 0 {
		t.Errorf("%d frontends left", n)
	}
	if _, ok := s.Cluster("shop"); !ok {
		t.Error("cluster removed with the listener")
	}
}

func TestClusterUpdate(t *testing.T) {
	s := base(t)
	if _, _, err := s.Apply(order.AddCluster{Cluster: order.Cluster{ID: "shop", StickySession: true}}); err == nil ||
		!strings.Contains(err.Error(), "update_cluster") {
		t.Fatalf("add_cluster over an existing cluster: %v, want a refusal naming update_cluster", err)
	}
	apply(t, &s, order.UpdateCluster{ID: "shop", LoadBalancing: order.Some(order.Random), StickySession: order.Some(true)})
	c, _ := s.Cluster("shop")
	if c.LoadBalancing != order.Random || !c.StickySession {
		t.Errorf("cluster not updated: %+v", c)
	}
	apply(t, &s, order.UpdateCluster{ID: "shop", HTTPSRedirect: order.Some(true)})
	if c, _ = s.Cluster("shop"); c.LoadBalancing != order.Random || !c.StickySession || !c.HTTPSRedirect {
		t.Errorf("an update changed settings it did not give: %+v", c)
	}
	if len(s.Backends("shop")) != 2 {
		t.Error("update lost the backends")
	}
}

// TestDumpRoundTrip: replaying a dump's orders into an empty state gives
// the same dump, whatever order the objects were added in.
func TestDumpRoundTrip(t *testing.T) {
	s := base(t)
	apply(t, &s, order.ActivateListener{Address: addr})
	d := s.Dump()
	b, _ := json.Marshal(d)
	var back order.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	s2 := state.New()
	apply(t, &s2, back.Orders()...)
	if got, want := dump(t, s2), dump(t, s); got != want {
		t.Fatalf("round trip differs:\n%s\n%s", want, got)
	}
	if !strings.Contains(string(b), `"version":2`) {
		t.Errorf("dump has no version: %s", b)
	}
}

func TestApplyLeavesItsStateAlone(t *testing.T) {
	s := base(t)
	before := dump(t, s)
	next, fx, err := s.Apply(order.AddCluster{Cluster: order.Cluster{ID: "new"}})
	if err != nil {
		t.Fatal(err)
	}
	if dump(t, s) != before {
		t.Fatal("Apply changed the state it was called on")
	}
	if _, ok := next.Cluster("new"); !ok || len(fx) != 1 {
		t.Fatalf("next state or effects wrong: %v", fx)
	}
}
