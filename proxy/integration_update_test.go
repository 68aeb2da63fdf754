package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// trafficLoop sends GET requests for each host from several clients until
// stop is called, which returns how many were answered and the first
// answer that was not a 200. Each answer is also signalled on progress
// (when nobody waits, the signal is dropped), so that a test can wait for
// traffic to have flowed instead of sleeping.
func trafficLoop(t *testing.T, h *harness, hosts ...string) (progress <-chan struct{}, stop func() (served int64, bad string)) {
	t.Helper()
	tick := make(chan struct{})
	quit := make(chan struct{})
	var n atomic.Int64
	var mu sync.Mutex
	firstBad := ""
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half the clients keep their connections, half open one per
			// request.
			tr := &http.Transport{DisableKeepAlives: i%2 == 1, MaxIdleConnsPerHost: 4}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: ioTimeout}
			for j := 0; ; j++ {
				select {
				case <-quit:
					return
				default:
				}
				req := h.request("GET", hosts[j%len(hosts)], "/", nil)
				resp, err := hc.Do(req)
				bad := ""
				if err != nil {
					bad = err.Error()
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						bad = fmt.Sprintf("%s: status %d", req.Host, resp.StatusCode)
					}
				}
				if bad != "" {
					mu.Lock()
					if firstBad == "" {
						firstBad = bad
					}
					mu.Unlock()
				}
				n.Add(1)
				select {
				case tick <- struct{}{}:
				default:
				}
			}
		}()
	}
	return tick, func() (int64, string) {
		close(quit)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return n.Load(), firstBad
	}
}

// waitTraffic waits until k more requests were answered.
func waitTraffic(progress <-chan struct{}, k int) {
	for range k {
		<-progress
	}
}

// TestBackendWeightUpdateAtOnce: update_backend changes weights, the
// backup flag and the sticky id while requests flow, and every request is
// answered 200, also for a cluster of one backend (a weight change used to
// take remove + add, with 503s in between). Balancing then follows the new
// weights at once.
func TestBackendWeightUpdateAtOnce(t *testing.T) {
	h := startProxy(t, nil)
	a, b := newOrigin(t, "a", nil), newOrigin(t, "b", nil)
	one := h.route("one.test", a.Addr)
	two := h.route("two.test", a.Addr, b.Addr)
	progress, stop := trafficLoop(t, h, "one.test", "two.test")
	for i := range 60 {
		h.Must(order.UpdateBackend{ClusterID: one, ID: "b0", Weight: order.Some(1 + i*16), Backup: order.Some(i%3 == 0)})
		h.Must(order.UpdateBackend{ClusterID: two, ID: "b1", Weight: order.Some(1000 - i*16),
			StickyID: order.Some(fmt.Sprintf("s%d", i))})
		waitTraffic(progress, 4)
	}
	n, bad := stop()
	if bad != "" {
		t.Fatalf("%d requests during 120 backend updates; first failure: %s", n, bad)
	}
	t.Logf("%d requests answered 200 during 120 backend updates", n)

	for _, w := range [][2]int{{1, 3}, {3, 1}} {
		h.Must(order.UpdateBackend{ClusterID: two, ID: "b0", Weight: order.Some(w[0])})
		h.Must(order.UpdateBackend{ClusterID: two, ID: "b1", Weight: order.Some(w[1])})
		got := served(t, h, "two.test", 400)
		if got["a"] != 100*w[0] || got["b"] != 100*w[1] {
			t.Errorf("weights %d:%d over 400 requests in turn gave %v", w[0], w[1], got)
		}
	}
	r := h.Must(order.ListBackends{ClusterID: two})
	if bs := r.Content.Backends; len(bs) != 2 || bs[0].Weight != 3 || bs[1].Weight != 1 || bs[1].StickyID != "s59" {
		t.Errorf("backends listed: %+v", bs)
	}
}

// TestBackendAddressUpdate: a new address is another server: requests go
// there at once, with no failure in between.
func TestBackendAddressUpdate(t *testing.T) {
	h := startProxy(t, nil)
	a, b := newOrigin(t, "a", nil), newOrigin(t, "b", nil)
	id := h.route("move.test", a.Addr)
	progress, stop := trafficLoop(t, h, "move.test")
	for i := range 20 {
		addr := a.Addr
		if i%2 == 0 {
			addr = b.Addr
		}
		h.Must(order.UpdateBackend{ClusterID: id, ID: "b0", Address: order.Some(addr)})
		waitTraffic(progress, 4)
	}
	n, bad := stop()
	if bad != "" {
		t.Fatalf("%d requests during 20 address changes; first failure: %s", n, bad)
	}
	if got := served(t, h, "move.test", 10); got["a"] != 10 {
		t.Errorf("after moving back to a: %v", got)
	}
}

// TestClusterUpdateChangesOnlyTheGivenField: update_cluster changes what
// it gives and keeps sticky sessions and custom answers (an add over an
// existing cluster used to reset them; it is refused now, naming
// update_cluster, and changes nothing).
func TestClusterUpdateChangesOnlyTheGivenField(t *testing.T) {
	h := startProxy(t, nil)
	a := newOrigin(t, "a", nil)
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "shop", StickySession: true,
		Answers: map[string]string{"503": "<p>shop is resting %REQUEST_ID</p>"}}})
	h.addFrontend(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "shop"})
	h.addBackend("shop", "a", a.Addr)
	sticky := func() bool {
		resp, body := h.get("shop.test", "/")
		wantStatus(t, resp, body, 200)
		return strings.Contains(resp.Header.Get("Set-Cookie"), "SLUICEBALANCEID=")
	}
	if !sticky() {
		t.Fatal("no sticky cookie before the update")
	}
	before := h.dump()
	r := h.Do(order.AddCluster{Cluster: order.Cluster{ID: "shop", LoadBalancing: order.LeastLoaded}})
	if r.Status != order.StatusError || !strings.Contains(r.Message, "update_cluster") {
		t.Fatalf("add over an existing cluster: %s %q, want an error naming update_cluster", r.Status, r.Message)
	}
	if h.dump() != before {
		t.Fatal("the refused add changed the state")
	}

	h.Must(order.UpdateCluster{ID: "shop", LoadBalancing: order.Some(order.LeastLoaded)})
	c := h.Must(order.ListClusters{}).Content.Clusters[0]
	if c.LoadBalancing != order.LeastLoaded || !c.StickySession || c.Answers["503"] == "" {
		t.Fatalf("after the update: %+v", c)
	}
	if !sticky() {
		t.Error("the update turned sticky sessions off")
	}
	h.Must(order.RemoveBackend{ClusterID: "shop", ID: "a"})
	resp, body := h.get("shop.test", "/")
	if resp.StatusCode != 503 || !strings.Contains(body, "shop is resting") {
		t.Errorf("no backend: %d %q, want the cluster's own 503", resp.StatusCode, trim(body))
	}
	h.Must(order.UpdateCluster{ID: "shop", HTTPSRedirect: order.Some(true)})
	noFollow := &http.Client{Transport: h.Tr, Timeout: ioTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(h.request("GET", "shop.test", "/x", nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://shop.test/x" {
		t.Errorf("after https_redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestAddWithOtherSettingsNamesTheUpdate: an add for a key that exists with
// other settings is refused, the message naming the update order, and
// changes nothing; the same add with the same settings succeeds.
func TestAddWithOtherSettingsNamesTheUpdate(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	cl := h.route("app.test", o.Addr)
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "other"}})
	tcpAddr := freeAddr(t)
	h.Must(order.AddListener{Listener: order.Listener{Protocol: order.TCP, Address: tcpAddr}})
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "db", Protocol: order.TCP}})
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "db2", Protocol: order.TCP}})
	h.Must(order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: tcpAddr, ClusterID: "db"}})
	before := h.dump()
	for _, tc := range []struct {
		o      order.Order
		update string
	}{
		{order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: h.Addr, Active: true, StickyName: "X"}}, "update_listener"},
		{order.AddCluster{Cluster: order.Cluster{ID: cl, StickySession: true}}, "update_cluster"},
		{order.AddBackend{Backend: order.Backend{ClusterID: cl, ID: "b0", Address: o.Addr, Weight: 5}}, "update_backend"},
		{order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "app.test", ClusterID: "other"}}, "update_http_frontend"},
		{order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: tcpAddr, ClusterID: "db2"}}, "update_tcp_frontend"},
	} {
		r := h.Do(tc.o)
		if r.Status != order.StatusError || !strings.Contains(r.Message, tc.update) {
			t.Errorf("%s: %s %q, want an error naming %s", tc.o.Kind(), r.Status, r.Message, tc.update)
		}
		if h.dump() != before {
			t.Fatalf("refused %s changed the state", tc.o.Kind())
		}
	}
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: cl, ID: "b0", Address: o.Addr, Weight: 100}})
	if h.dump() != before {
		t.Error("an identical add changed the state")
	}
	resp, body := h.get("app.test", "/")
	wantStatus(t, resp, body, 200)
}
