package proxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

func (h *harness) dump() string {
	h.t.Helper()
	r := h.Must(order.DumpState{})
	if r.Content == nil || r.Content.State == nil {
		h.t.Fatal("dump_state answered without a state")
	}
	b, err := json.Marshal(r.Content.State)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

// TestInvalidOrders: every kind of order, made invalid, is refused with a
// message naming the field, and the state is unchanged.
func TestInvalidOrders(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	const pemCert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	const pemKey = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
	nowhere := freeAddr(t)
	fe := func(f order.HTTPFrontend) order.HTTPFrontend {
		if f.Address == "" {
			f.Address = h.Addr
		}
		return f
	}
	before := h.dump()
	for _, tc := range []struct {
		o     order.Order
		field string
	}{
		{order.AddListener{Listener: order.Listener{Address: nowhere}}, "listener.protocol"},
		{order.AddListener{Listener: order.Listener{Protocol: "ftp", Address: nowhere}}, "listener.protocol"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "local host:80"}}, "listener.address"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: nowhere, FrontTimeout: -1}}, "listener.front_timeout"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: nowhere, MaxHeadBytes: -1}}, "listener.max_head_bytes"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: nowhere, KeepAliveTimeout: -1}}, "listener.keepalive_timeout"},
		{order.AddListener{Listener: order.Listener{Protocol: order.TCP, Address: nowhere, KeepAliveTimeout: order.Duration(time.Second)}}, "listener.keepalive_timeout"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: nowhere, MaxConnectionsPerIP: -1}}, "listener.max_connections_per_ip"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: nowhere, Answers: map[string]string{"abc": "x"}}}, "listener.answers"},
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: h.Addr, FrontTimeout: order.Duration(time.Second)}}, "listener.address"},
		{order.RemoveListener{Address: nowhere}, "listener.address"},
		{order.ActivateListener{Address: nowhere}, "listener.address"},
		{order.DeactivateListener{Address: "nope"}, "listener.address"},
		{order.AddCluster{Cluster: order.Cluster{}}, "cluster.id"},
		{order.AddCluster{Cluster: order.Cluster{ID: "bad id"}}, "cluster.id"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", LoadBalancing: "fastest"}}, "cluster.load_balancing"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", Protocol: "udp"}}, "cluster.protocol"},
		{order.AddCluster{Cluster: order.Cluster{ID: "c-app_test", Protocol: order.TCP}}, "cluster.protocol"},
		{order.RemoveCluster{ID: "nope"}, "cluster.id"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", HealthCheck: &order.HealthCheck{Type: "icmp"}}}, "cluster.health_check.type"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", HealthCheck: &order.HealthCheck{Path: "health"}}}, "cluster.health_check.path"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", HealthCheck: &order.HealthCheck{Path: "/a\r\nX: y"}}}, "cluster.health_check.path"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", HealthCheck: &order.HealthCheck{Type: "tcp", Path: "/"}}}, "cluster.health_check.type"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", HealthCheck: &order.HealthCheck{Interval: order.Duration(time.Millisecond)}}}, "cluster.health_check.interval"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", HealthCheck: &order.HealthCheck{ExpectedStatus: 42}}}, "cluster.health_check.expected_status"},
		{order.AddCluster{Cluster: order.Cluster{ID: "x", HealthCheck: &order.HealthCheck{Rise: -1}}}, "cluster.health_check.rise"},
		{order.AddHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{ClusterID: "c-app_test"})}, "frontend.hostname"},
		{order.AddHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "x.test", ClusterID: "nope"})}, "frontend.cluster_id"},
		{order.AddHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "x.test"})}, "frontend.cluster_id"},
		{order.AddHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "x.test", ClusterID: "c-app_test", Deny: true})}, "frontend.cluster_id"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: nowhere, Hostname: "x.test", ClusterID: "c-app_test"}}, "frontend.address"},
		{order.AddHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "x.test", ClusterID: "c-app_test", PathType: "glob"})}, "frontend.path_type"},
		{order.AddHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "x.test", ClusterID: "c-app_test", Method: "GE T"})}, "frontend.method"},
		{order.AddHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "x.test", ClusterID: "c-app_test", Path: "(", PathType: order.Regex})}, "frontend"},
		{order.RemoveHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "nope.test"})}, "frontend"},
		{order.AddHTTPSFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "x.test", ClusterID: "c-app_test"})}, "frontend.address"},
		{order.RemoveHTTPSFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "app.test"})}, "frontend.address"},
		{order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: h.Addr, ClusterID: "c-app_test"}}, "frontend.address"},
		{order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: h.Addr}}, "frontend.cluster_id"},
		{order.RemoveTCPFrontend{TCPFrontend: order.TCPFrontend{Address: h.Addr}}, "frontend.address"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "n", Address: "local host:80"}}, "backend.address"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "n", Address: "127.0.0.1:0"}}, "backend.address"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "n", Address: nowhere, Weight: 2000}}, "backend.weight"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", Address: nowhere}}, "backend.id"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "nope", ID: "n", Address: nowhere}}, "backend.cluster_id"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "n", Address: o.Addr}}, "backend.address"},                    // same address twice
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "n", Address: nowhere, StickyID: "b0"}}, "backend.sticky_id"}, // b0's default sticky id
		{order.RemoveBackend{ClusterID: "c-app_test", ID: "nope"}, "backend.id"},
		{order.RemoveBackend{ClusterID: "", ID: "b0"}, "backend.cluster_id"},
		{order.AddCertificate{Address: h.Addr, Certificate: order.CertificateAndKey{Certificate: "nope", Key: pemKey}}, "certificate.certificate"},
		{order.AddCertificate{Address: h.Addr, Certificate: order.CertificateAndKey{Certificate: pemCert, Key: "nope"}}, "certificate.key"},
		{order.AddCertificate{Address: "bad", Certificate: order.CertificateAndKey{Certificate: pemCert, Key: pemKey}}, "certificate.address"},
		{order.AddCertificate{Address: h.Addr, Certificate: order.CertificateAndKey{Certificate: pemCert, Key: pemKey}}, "certificate"},
		{order.UpdateListener{Address: h.Addr}, "listener"},
		{order.UpdateListener{Address: nowhere, FrontTimeout: order.Some(order.Duration(time.Second))}, "listener.address"},
		{order.UpdateListener{Address: h.Addr, FrontTimeout: order.Some(order.Duration(-1))}, "listener.front_timeout"},
		{order.UpdateListener{Address: h.Addr, Answers: order.Some(map[string]string{"503": "HTTP/1.1 503 Nope\r\nX: y"})}, "listener.answers"},
		{order.UpdateListener{Address: h.Addr, MaxConnectionsPerIP: order.Some(5)}, "listener.max_connections_per_ip"},
		{order.UpdateListener{Address: h.Addr, TLSVersions: order.Some([]string{"TLS1.3"})}, "listener.tls_versions"},
		{order.UpdateCluster{ID: "c-app_test"}, "cluster"},
		{order.UpdateCluster{ID: "nope", StickySession: order.Some(true)}, "cluster.id"},
		{order.UpdateCluster{ID: "c-app_test", HealthCheck: order.Some(&order.HealthCheck{Rise: -1})}, "cluster.health_check.rise"},
		{order.UpdateBackend{ClusterID: "c-app_test", ID: "b0", Weight: order.Some(0)}, "backend.weight"},
		{order.UpdateBackend{ClusterID: "c-app_test", ID: "nope", Weight: order.Some(5)}, "backend.id"},
		{order.UpdateBackend{ClusterID: "c-app_test", ID: "b0", Address: order.Some("local host:80")}, "backend.address"},
		{order.UpdateHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "nope.test", ClusterID: "c-app_test"})}, "frontend"},
		{order.UpdateHTTPFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "app.test", ClusterID: "nope"})}, "frontend.cluster_id"},
		{order.UpdateHTTPSFrontend{HTTPFrontend: fe(order.HTTPFrontend{Hostname: "app.test", ClusterID: "c-app_test"})}, "frontend.address"},
		{order.UpdateTCPFrontend{TCPFrontend: order.TCPFrontend{Address: h.Addr, ClusterID: "c-app_test"}}, "frontend.address"},
		{order.ReplaceCertificate{Address: h.Addr, Certificate: order.CertificateAndKey{Certificate: pemCert, Key: pemKey}}, "certificate.old_fingerprint"},
		{order.ReplaceCertificate{Address: h.Addr, OldFingerprint: "ab", Certificate: order.CertificateAndKey{Certificate: pemCert, Key: pemKey}}, "certificate"},
		{order.RemoveCertificate{Address: h.Addr}, "certificate.fingerprint"},
		{order.RemoveCertificate{Address: h.Addr, Fingerprint: "ab"}, "certificate"},
		{order.ListBackends{ClusterID: "bad id"}, "backend.cluster_id"},
		{order.ListBackends{ClusterID: "nope"}, "backend.cluster_id"},
		{order.ListCertificates{Address: "bad"}, "certificate.address"},
		{order.SaveState{}, "path"},
		{order.LoadState{}, "path"},
		{order.SetLogLevel{Level: "loud"}, "level"},
		{order.Reload{Target: order.Requests([]order.Order{order.Status{}})}, "target"},
		{order.Reload{Target: order.Requests([]order.Order{order.AddCluster{Cluster: order.Cluster{ID: "x"}},
			order.AddBackend{Backend: order.Backend{ClusterID: "y", ID: "b", Address: "127.0.0.1:1"}}})}, "reload"},
		{order.SubscribeEvents{}, "kind"}, // the library streams events with Client.Subscribe
		{order.Upgrade{}, "kind"},         // only a daemon has a binary to replace
		{order.Upgrade{Timeout: -1}, "timeout"},
		{order.Metrics{}, "kind"}, // this proxy has no metrics registry
		{order.Metrics{ClusterID: "bad id"}, "metrics.cluster_id"},
		{nil, "kind"},
	} {
		name := "nil order"
		if tc.o != nil {
			name = string(tc.o.Kind())
		}
		r := h.Do(tc.o)
		if r.Status != order.StatusError {
			t.Errorf("%s %+v: answered %s, want error naming %s", name, tc.o, r.Status, tc.field)
			continue
		}
		if !strings.HasPrefix(r.Message, tc.field) {
			t.Errorf("%s: message %q does not name %s", name, r.Message, tc.field)
		}
		if after := h.dump(); after != before {
			t.Fatalf("%s: refused order changed the state:\nbefore %s\nafter  %s", name, before, after)
		}
	}
	// Every kind was tried.
	tried := map[order.Kind]bool{}
	for _, k := range []order.Order{order.AddListener{}, order.RemoveListener{}, order.ActivateListener{},
		order.DeactivateListener{}, order.AddCluster{}, order.RemoveCluster{}, order.AddHTTPFrontend{},
		order.RemoveHTTPFrontend{}, order.AddHTTPSFrontend{}, order.RemoveHTTPSFrontend{},
		order.AddTCPFrontend{}, order.RemoveTCPFrontend{}, order.AddBackend{}, order.RemoveBackend{},
		order.AddCertificate{}, order.ReplaceCertificate{}, order.RemoveCertificate{},
		order.UpdateListener{}, order.UpdateCluster{}, order.UpdateBackend{},
		order.UpdateHTTPFrontend{}, order.UpdateHTTPSFrontend{}, order.UpdateTCPFrontend{},
		order.ListBackends{}, order.ListCertificates{},
		order.SaveState{}, order.LoadState{}, order.SetLogLevel{}, order.SubscribeEvents{}, order.Metrics{},
		order.Reload{}, order.Upgrade{}} {
		tried[k.Kind()] = true
	}
	for _, k := range order.Kinds() {
		switch k {
		case "list_listeners", "list_clusters", "list_frontends", "status", "dump_state", "shutdown":
			continue // no field to get wrong
		}
		if !tried[k] {
			t.Errorf("order kind %s has no invalid case here", k)
		}
	}
	// The proxy still serves.
	resp, body := h.get("app.test", "/")
	wantStatus(t, resp, body, 200)
}

// TestIdempotentAndConflictingAdds: adding an identical object twice is
// ok and changes nothing; a different object under the same key is an
// error.
func TestIdempotentAndConflictingAdds(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	other := newOrigin(t, "other", nil)
	h.route("app.test", o.Addr)
	before := h.dump()
	same := []order.Order{
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: h.Addr, Active: true}},
		order.AddCluster{Cluster: order.Cluster{ID: "c-app_test"}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "app.test", ClusterID: "c-app_test"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "b0", Address: o.Addr}},
	}
	for _, so := range same {
		h.Must(so)
		if after := h.dump(); after != before {
			t.Errorf("re-adding %s changed the state:\nbefore %s\nafter  %s", so.Kind(), before, after)
		}
	}
	h.route("two.test", other.Addr)
	before = h.dump()
	for _, tc := range []struct {
		o     order.Order
		field string
	}{
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: h.Addr, FrontTimeout: order.Duration(time.Second)}}, "listener.address"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "app.test", ClusterID: "c-two_test"}}, "frontend"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "app.test", Deny: true}}, "frontend"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "b0", Address: other.Addr}}, "backend.id"},
		{order.AddBackend{Backend: order.Backend{ClusterID: "c-app_test", ID: "b0", Address: o.Addr, Weight: 5}}, "backend.id"},
	} {
		r := h.Do(tc.o)
		if r.Status != order.StatusError || !strings.HasPrefix(r.Message, tc.field) {
			t.Errorf("conflicting %s: %s %q, want an error naming %s", tc.o.Kind(), r.Status, r.Message, tc.field)
		}
		if after := h.dump(); after != before {
			t.Fatalf("conflicting %s changed the state", tc.o.Kind())
		}
	}
	resp, body := h.get("app.test", "/")
	wantStatus(t, resp, body, 200)
	if body != "app /" {
		t.Errorf("after the conflicts app.test is served by %q", body)
	}
}

// TestOrdersAnsweredInOrder writes a burst of requests on the channel
// without waiting, and reads their answers in the same order; queries see
// the orders sent before them.
func TestOrdersAnsweredInOrder(t *testing.T) {
	client, end, stop := newRawChannel(t)
	const n = 200
	go func() {
		for i := range n {
			var o order.Order
			switch i % 4 {
			case 0:
				o = order.AddCluster{Cluster: order.Cluster{ID: fmt.Sprintf("c%d", i)}}
			case 1:
				o = order.ListClusters{}
			case 2:
				o = order.RemoveCluster{ID: "never"} // an error
			case 3:
				o = order.AddBackend{Backend: order.Backend{ClusterID: fmt.Sprintf("c%d", i-3), ID: "b", Address: fmt.Sprintf("127.0.0.1:%d", 1000+i)}}
			}
			select {
			case client <- order.Request{ID: fmt.Sprintf("id-%d", i), Order: o}:
			case <-stop:
				return
			}
		}
	}()
	for i := range n {
		var r order.Response
		select {
		case r = <-end:
		case <-time.After(ioTimeout):
			t.Fatalf("no answer %d", i)
		}
		if r.ID != fmt.Sprintf("id-%d", i) {
			t.Fatalf("answer %d has id %q", i, r.ID)
		}
		switch i % 4 {
		case 0, 3:
			if r.Status != order.StatusOK {
				t.Errorf("%s: %s %s", r.ID, r.Status, r.Message)
			}
		case 1:
			if r.Content == nil || len(r.Content.Clusters) != i/4+1 {
				t.Fatalf("%s: list after %d adds: %+v", r.ID, i/4+1, r.Content)
			}
			if last := r.Content.Clusters; !containsCluster(last, fmt.Sprintf("c%d", i-1)) {
				t.Errorf("%s: list does not show the cluster just added", r.ID)
			}
		case 2:
			if r.Status != order.StatusError {
				t.Errorf("%s: removing a missing cluster answered %s", r.ID, r.Status)
			}
		}
	}
}

// newRawChannel runs a proxy without listeners whose channels the test
// uses directly (no Client.Do). stop is closed when the test ends.
func newRawChannel(t *testing.T) (chan<- order.Request, <-chan order.Response, <-chan struct{}) {
	client, end := proxy.NewChannel(8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- proxy.Run(ctx, proxy.Config{Logger: testLogger(), ShutdownGrace: time.Second}, end)
	}()
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("proxy.Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("proxy.Run did not return")
		}
	})
	return client.Requests, client.Responses, stop
}

func containsCluster(cs []order.Cluster, id string) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// TestManyFrontendOrders sends 10 000 add_http_frontend orders one by one
// through Client.Do; all succeed and are listed.
func TestManyFrontendOrders(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	cl := h.route("seed.test", o.Addr)
	const n = 10000
	ctx, cancel := context.WithTimeout(h.Ctx, 5*time.Minute)
	defer cancel()
	start := time.Now()
	for i := range n {
		r, err := h.Client.Do(ctx, order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{
			Address: h.Addr, Hostname: fmt.Sprintf("h%d.example.com", i), Path: "/p", ClusterID: cl}})
		if err != nil || r.Status != order.StatusOK {
			t.Fatalf("order %d: %v %s %s", i, err, r.Status, r.Message)
		}
	}
	t.Logf("%d add_http_frontend orders applied one by one in %v (%v each)", n, time.Since(start), time.Since(start)/n)
	r := h.Must(order.ListFrontends{})
	if got := len(r.Content.HTTPFrontends); got != n+1 {
		t.Errorf("%d frontends listed, want %d", got, n+1)
	}
	resp, body := h.get("h9999.example.com", "/p")
	wantStatus(t, resp, body, 200)
	resp, body = h.get("h9999.example.com", "/q")
	checkAnswer(t, resp, body, 404)
}
