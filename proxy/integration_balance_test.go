package proxy_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// names answers with the origin's name, so a test can count who served.
func served(t *testing.T, h *harness, host string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp, body := h.get(host, "/")
		wantStatus(t, resp, body, 200)
		got[strings.Fields(body)[0]]++
	}
	return got
}

// TestRoundRobinSpread: 300 requests over 3 equal backends land within
// ±10% of 100 each; weights 1:3 give 1:3 within ±10%.
func TestRoundRobinSpread(t *testing.T) {
	h := startProxy(t, nil)
	a, b, c := newOrigin(t, "a", nil), newOrigin(t, "b", nil), newOrigin(t, "c", nil)
	h.route("rr.test", a.Addr, b.Addr, c.Addr)
	got := served(t, h, "rr.test", 300)
	for _, name := range []string{"a", "b", "c"} {
		if n := got[name]; n < 90 || n > 110 {
			t.Errorf("%s served %d of 300, want 90..110 (%v)", name, n, got)
		}
	}

	h.addCluster("weighted")
	h.addFrontend(order.HTTPFrontend{Hostname: "w.test", ClusterID: "weighted"})
	light, heavy := newOrigin(t, "light", nil), newOrigin(t, "heavy", nil)
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "weighted", ID: "l", Address: light.Addr, Weight: 1}})
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "weighted", ID: "h", Address: heavy.Addr, Weight: 3}})
	got = served(t, h, "w.test", 400)
	if got["light"] < 90 || got["light"] > 110 || got["heavy"] < 270 || got["heavy"] > 330 {
		t.Errorf("weights 1:3 over 400 requests gave %v, want about 100:300", got)
	}
}

// TestOtherAlgorithmsSpread: random, least_loaded and power_of_two spread
// sequential requests over every backend, and the algorithm can change at
// runtime.
func TestOtherAlgorithmsSpread(t *testing.T) {
	h := startProxy(t, nil)
	a, b, c := newOrigin(t, "a", nil), newOrigin(t, "b", nil), newOrigin(t, "c", nil)
	id := h.route("alg.test", a.Addr, b.Addr, c.Addr)
	for _, alg := range []order.LoadBalancing{order.Random, order.LeastLoaded, order.PowerOfTwo} {
		h.Must(order.UpdateCluster{ID: id, LoadBalancing: order.Some(alg)})
		got := served(t, h, "alg.test", 300)
		for _, name := range []string{"a", "b", "c"} {
			if got[name] < 40 {
				t.Errorf("%s: %s served %d of 300 (%v)", alg, name, got[name], got)
			}
		}
	}
}

// TestStickySessions: the first response sets the cookie; 50 requests
// carrying it reach the same backend without a new Set-Cookie; the backend
// never sees the cookie but sees the client's others; a cookie naming a
// removed backend is rebalanced and reset.
func TestStickySessions(t *testing.T) {
	h := startProxy(t, nil)
	var leaked atomic.Int64
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, err := r.Cookie("SLUICEBALANCEID"); err == nil {
				leaked.Add(1)
			}
			theme, _ := r.Cookie("theme")
			fmt.Fprintf(w, "%s theme=%v", name, theme != nil && theme.Value == "dark")
		}
	}
	a, b, c := newOrigin(t, "a", handler("a")), newOrigin(t, "b", handler("b")), newOrigin(t, "c", handler("c"))
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "s", StickySession: true}})
	h.addFrontend(order.HTTPFrontend{Hostname: "sticky.test", ClusterID: "s"})
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "s", ID: "a", Address: a.Addr}})
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "s", ID: "b", Address: b.Addr, StickyID: "bee"}})
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "s", ID: "c", Address: c.Addr}})

	first, body := h.get("sticky.test", "/")
	wantStatus(t, first, body, 200)
	var cookie *http.Cookie
	for _, ck := range first.Cookies() {
		if ck.Name == "SLUICEBALANCEID" {
			cookie = ck
		}
	}
	if cookie == nil || cookie.Path != "/" || !cookie.HttpOnly {
		t.Fatalf("first response: Set-Cookie %q", first.Header.Values("Set-Cookie"))
	}
	pinned := strings.Fields(body)[0]
	wantID := map[string]string{"a": "a", "b": "bee", "c": "c"}[pinned]
	if cookie.Value != wantID {
		t.Fatalf("served by %s but the cookie says %q", pinned, cookie.Value)
	}
	for i := range 50 {
		req := h.request("GET", "sticky.test", "/", nil)
		req.Header.Set("Cookie", "theme=dark; SLUICEBALANCEID="+cookie.Value+"; lang=fr")
		resp, body := h.send(req)
		wantStatus(t, resp, body, 200)
		if body != pinned+" theme=true" {
			t.Fatalf("request %d: %q, want %s with the other cookies", i, body, pinned)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Fatalf("request %d carried a valid cookie but got Set-Cookie %q", i, sc)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the sticky cookie reached a backend %d times", n)
	}
	// The pinned backend goes away: the request is balanced elsewhere and
	// the cookie is reset.
	h.Must(order.RemoveBackend{ClusterID: "s", ID: pinned})
	req := h.request("GET", "sticky.test", "/", nil)
	req.Header.Set("Cookie", "SLUICEBALANCEID="+cookie.Value)
	resp, body := h.send(req)
	wantStatus(t, resp, body, 200)
	now := strings.Fields(body)[0]
	if now == pinned {
		t.Fatalf("served by removed backend %s", pinned)
	}
	if sc := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "SLUICEBALANCEID="+wantID2(now)+";") {
		t.Fatalf("rebalanced to %s, Set-Cookie %q", now, sc)
	}
}

func wantID2(name string) string { return map[string]string{"a": "a", "b": "bee", "c": "c"}[name] }

// TestKillingABackendUnderLoad: with 3 backends under a steady bounded
// load, killing one yields zero failed client requests: connects refused by
// it are tried on the others, pooled connections to it that die before any
// response byte are replayed.
func TestKillingABackendUnderLoad(t *testing.T) {
	h := startProxy(t, nil)
	a, b, c := newOrigin(t, "a", nil), newOrigin(t, "b", nil), newOrigin(t, "c", nil)
	h.route("kill.test", a.Addr, b.Addr, c.Addr)

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5000; n++ { // bounded in count; stop ends it sooner
				select {
				case <-stop:
					return
				default:
				}
				req := h.request("GET", "kill.test", "/", nil)
				resp, err := h.HC.Do(req)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}()
	}
	eventually(t, ioTimeout, "a warm load", func() bool { return ok.Load() > 300 })
	b.Close() // closes its listener and every connection
	before := ok.Load()
	eventually(t, ioTimeout, "300 more requests after the kill", func() bool { return ok.Load() > before+300 })
	close(stop)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d client requests failed after a backend died (first: %v); %d succeeded", n, firstErr.Load(), ok.Load())
	}
	st := h.Must(order.ListBackends{ClusterID: "c-kill_test"})
	for _, be := range st.Content.Backends {
		if be.Address == b.Addr && be.Health == "up" {
			t.Errorf("the killed backend is listed up: %+v", be)
		}
	}
}

// TestHealthCheckRevives: a backend that dies is taken down by its health
// check and gets no requests; once it answers again, the check brings it
// back and it serves again.
func TestHealthCheckRevives(t *testing.T) {
	h := startProxy(t, nil)
	events := h.Client.Subscribe(h.Ctx)
	steady := newOrigin(t, "steady", nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serve := func(ln net.Listener) *http.Server {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "phoenix ", r.URL.Path)
		})}
		go srv.Serve(ln)
		return srv
	}
	srv := serve(ln)
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "hc", HealthCheck: &order.HealthCheck{
		Path: "/health", Interval: order.Duration(100 * time.Millisecond), Rise: 2, Fall: 2}}})
	h.addFrontend(order.HTTPFrontend{Hostname: "hc.test", ClusterID: "hc"})
	h.addBackend("hc", "phoenix", addr)
	h.addBackend("hc", "steady", steady.Addr)
	wait := func(kind order.EventKind) {
		t.Helper()
		timeout := time.After(ioTimeout)
		for {
			select {
			case e := <-events:
				if e.Kind == kind && e.BackendID == "phoenix" {
					return
				}
			case <-timeout:
				t.Fatalf("no %s event for phoenix", kind)
			}
		}
	}
	if got := served(t, h, "hc.test", 20); got["phoenix"] == 0 {
		t.Fatalf("phoenix unused while healthy: %v", got)
	}
	srv.Close()
	h.Tr.CloseIdleConnections()
	wait(order.BackendDown)
	list := h.Must(order.ListBackends{ClusterID: "hc"}).Content.Backends
	for _, b := range list {
		if b.ID == "phoenix" && (b.Health != "down" || b.Check != "failed") {
			t.Fatalf("listed as %q, check %q", b.Health, b.Check)
		}
	}
	if got := served(t, h, "hc.test", 20); got["phoenix"] != 0 {
		t.Fatalf("a down backend served: %v", got)
	}
	var ln2 net.Listener
	eventually(t, ioTimeout, "the port to be free again", func() bool {
		ln2, err = net.Listen("tcp", addr)
		return err == nil
	})
	srv2 := serve(ln2)
	defer srv2.Close()
	wait(order.BackendUp)
	if got := served(t, h, "hc.test", 20); got["phoenix"] == 0 {
		t.Fatalf("the revived backend gets nothing: %v", got)
	}
}
