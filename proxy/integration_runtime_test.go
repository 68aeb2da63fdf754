package proxy_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// TestMaxConnections: with room for two connections, both held by busy
// ones (requests the origin has not answered), a third is accepted by the
// kernel but not served, and nothing is closed for it; once one of the two
// has its answer and waits idle, it is closed to make room (the idle
// keep-alive connection is reclaimed) and the third is served.
func TestMaxConnections(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.MaxConnections = 2 })
	started := make(chan string, 2)
	answer := map[string]chan struct{}{"/slow1": make(chan struct{}), "/slow2": make(chan struct{})}
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		if ch := answer[r.URL.Path]; ch != nil {
			started <- r.URL.Path
			<-ch
		}
		fmt.Fprintf(w, "app %s", r.URL.Path)
	})
	h.route("app.test", o.Addr)

	c1, c2 := dialRaw(t, h.Addr), dialRaw(t, h.Addr)
	c1.write("GET /slow1 HTTP/1.1\r\nHost: app.test\r\n\r\n")
	c2.write("GET /slow2 HTTP/1.1\r\nHost: app.test\r\n\r\n")
	<-started
	<-started
	c3 := dialRaw(t, h.Addr)
	c3.write("GET /third HTTP/1.1\r\nHost: app.test\r\n\r\n")
	// Not served while both slots are busy. (A negative can only be
	// checked for a while; 300ms is plenty for a proxy that would serve it.)
	_ = c3.C.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c3.BR.Peek(1); err == nil {
		t.Fatal("third connection served while two busy ones were open, MaxConnections=2")
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("third connection: %v", err)
	}
	if n := h.status().ReclaimedConnections; n != 0 {
		t.Fatalf("%d busy connections reclaimed", n)
	}

	close(answer["/slow1"])
	resp, body := c1.read("GET")
	wantStatus(t, resp, body, 200)
	_ = c3.C.SetReadDeadline(time.Now().Add(ioTimeout))
	resp, body = c3.read("GET")
	wantStatus(t, resp, body, 200)
	if body != "app /third" {
		t.Errorf("body %q", body)
	}
	c1.expectClosed(slack) // the only idle connection made room
	if n := h.status().ReclaimedConnections; n != 1 {
		t.Errorf("reclaimed_connections %d; want 1", n)
	}
	// The second connection is served to the end.
	close(answer["/slow2"])
	resp, body = c2.read("GET")
	wantStatus(t, resp, body, 200)
}

// TestRemoveBackendInFlight is the key runtime scenario: a request in
// flight on a backend that is removed finishes whole; later requests all go
// to the remaining backend; the removed backend's pooled connections are
// closed at once, and its in-flight one when its request ends.
func TestRemoveBackendInFlight(t *testing.T) {
	h := startProxy(t, nil)
	slowBody := payload(1 << 20)
	started := make(chan string, 2)
	release := make(chan struct{})
	var barrier sync.WaitGroup
	barrier.Add(8)
	allIn := make(chan struct{})
	go func() { barrier.Wait(); close(allIn) }()
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/warm": // hold 8 requests at once: 8 backend connections
				barrier.Done()
				select {
				case <-allIn:
				case <-time.After(ioTimeout):
				}
			case "/slow":
				started <- name
				select { // the origin takes its time (until the test says)
				case <-release:
				case <-time.After(ioTimeout):
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(slowBody)))
				w.Write(slowBody)
				return
			}
			io.WriteString(w, name)
		}
	}
	a := newOrigin(t, "A", handler("A"))
	b := newOrigin(t, "B", handler("B"))
	origins := map[string]*origin{"A": a, "B": b}
	h.route("app.test", a.Addr, b.Addr) // ids b0 (A) and b1 (B)
	ids := map[string]string{"A": "b0", "B": "b1"}

	// Warm up: 8 requests in flight at once give each backend pooled
	// connections.
	var wg sync.WaitGroup
	warmErr := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := h.HC.Do(h.request("GET", "app.test", "/warm", nil))
			if err != nil {
				warmErr <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(warmErr)
	for err := range warmErr {
		t.Fatal(err)
	}

	// The slow request; whichever backend gets it plays "A".
	type result struct {
		status int
		sum    string
		n      int64
		err    error
	}
	slowDone := make(chan result, 1)
	go func() {
		resp, err := h.HC.Do(h.request("GET", "app.test", "/slow", nil))
		if err != nil {
			slowDone <- result{err: err}
			return
		}
		sum, n, err := hashReader(resp.Body)
		resp.Body.Close()
		slowDone <- result{resp.StatusCode, sum, n, err}
	}()
	var gone string
	select {
	case gone = <-started:
	case <-time.After(ioTimeout):
		t.Fatal("slow request never reached an origin")
	}
	stay := map[string]string{"A": "B", "B": "A"}[gone]
	og := origins[gone]
	if og.Opened.Load() < 2 {
		t.Fatalf("backend %s has only %d connections after the warm-up", gone, og.Opened.Load())
	}
	h.Must(order.RemoveBackend{ClusterID: "c-app_test", ID: ids[gone]})

	// Its idle pooled connections close at once; the one in flight stays.
	eventually(t, ioTimeout, "the removed backend's idle connections to close", func() bool {
		return og.Closed.Load() == og.Opened.Load()-1
	})
	close(release)
	r := <-slowDone
	if r.err != nil || r.status != 200 || r.n != int64(len(slowBody)) || r.sum != sha(slowBody) {
		t.Fatalf("in-flight request on the removed backend: status %d, %d bytes, checksum ok %v, err %v",
			r.status, r.n, r.sum == sha(slowBody), r.err)
	}
	// And the in-flight one is closed, not pooled, once its request ends.
	eventually(t, ioTimeout, "the removed backend's last connection to close", func() bool {
		return og.Closed.Load() == og.Opened.Load()
	})
	before := og.Requests.Load()
	for i := range 100 {
		resp, body := h.get("app.test", "/")
		wantStatus(t, resp, body, 200)
		if body != stay {
			t.Fatalf("request %d after the removal served by %q", i, body)
		}
	}
	if n := og.Requests.Load(); n != before {
		t.Errorf("removed backend got %d new requests", n-before)
	}
	if opened := og.Opened.Load(); opened != og.Closed.Load() {
		t.Errorf("removed backend: %d connections opened, %d closed", opened, og.Closed.Load())
	}
}

// TestRemoveFrontend: once removed, a frontend's requests get 404; the
// cluster's other frontends still work.
func TestRemoveFrontend(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	h.addFrontend(order.HTTPFrontend{Hostname: "app.test", Path: "/api", PathType: order.Prefix, ClusterID: "c-app_test"})
	h.addFrontend(order.HTTPFrontend{Hostname: "other.test", ClusterID: "c-app_test"})
	resp, body := h.get("other.test", "/")
	wantStatus(t, resp, body, 200)

	h.Must(order.RemoveHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "other.test"}})
	resp, body = h.get("other.test", "/")
	checkAnswer(t, resp, body, 404)
	resp, body = h.get("app.test", "/api/x")
	wantStatus(t, resp, body, 200)

	// Removing the more specific path frontend falls back to the prefix "".
	h.Must(order.RemoveHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "app.test", Path: "/api"}})
	resp, body = h.get("app.test", "/api/x")
	wantStatus(t, resp, body, 200)
	h.Must(order.RemoveHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "app.test"}})
	resp, body = h.get("app.test", "/api/x")
	checkAnswer(t, resp, body, 404)
}

func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// TestListenerDeactivateRemove: deactivating or removing a listener stops
// new connections at once, lets the request in flight on it finish, and
// reactivation serves again.
func TestListenerDeactivateRemove(t *testing.T) {
	h := startProxy(t, nil)
	release := make(chan struct{}, 1)
	entered := make(chan struct{}, 1)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			select {
			case <-release:
			case <-time.After(ioTimeout):
			}
		}
		fmt.Fprintf(w, "app %s", r.URL.Path)
	})
	second := freeAddr(t)
	h.Must(order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: second, Active: true}})
	h.addCluster("app")
	h.addBackend("app", "b", o.Addr)
	h.addFrontend(order.HTTPFrontend{Address: second, Hostname: "*", ClusterID: "app"})

	get := func(path string) (int, string, error) {
		c, err := net.DialTimeout("tcp", second, ioTimeout)
		if err != nil {
			return 0, "", err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	if st, _, err := get("/"); err != nil || st != 200 {
		t.Fatalf("before: status %d, %v", st, err)
	}

	for _, step := range []struct {
		name string
		stop order.Order
	}{
		{"deactivate", order.DeactivateListener{Address: second}},
		{"remove", order.RemoveListener{Address: second}},
	} {
		type result struct {
			status int
			body   string
			err    error
		}
		inflight := make(chan result, 1)
		go func() {
			st, body, err := get("/slow")
			inflight <- result{st, body, err}
		}()
		<-entered
		h.Must(step.stop)
		if _, err := net.DialTimeout("tcp", second, ioTimeout); !refused(err) {
			t.Fatalf("%s: new connection: %v, want refused", step.name, err)
		}
		release <- struct{}{}
		r := <-inflight
		if r.err != nil || r.status != 200 || r.body != "app /slow" {
			t.Fatalf("%s: in-flight request: status %d, body %q, err %v", step.name, r.status, r.body, r.err)
		}
		if step.name == "deactivate" {
			h.Must(order.ActivateListener{Address: second})
			if st, body, err := get("/back"); err != nil || st != 200 || body != "app /back" {
				t.Fatalf("after reactivation: status %d %q, %v", st, body, err)
			}
		}
	}
	// Removed: its frontends went with it.
	resp := h.Must(order.ListFrontends{})
	for _, f := range resp.Content.HTTPFrontends {
		if f.Address == second {
			t.Errorf("frontend %+v of the removed listener still listed", f)
		}
	}
}

// TestAddWhileTrafficFlows adds clusters, frontends and backends while a
// client sends requests: none fails.
func TestAddWhileTrafficFlows(t *testing.T) {
	h := startProxy(t, nil)
	o1 := newOrigin(t, "one", nil)
	o2 := newOrigin(t, "two", nil)
	cl := h.route("app.test", o1.Addr)

	var failed atomic.Int64
	var served atomic.Int64
	stop := make(chan struct{})
	loopDone := make(chan string, 1)
	go func() {
		var firstErr string
		for i := 0; i < 300; i++ {
			if i >= 50 {
				select {
				case <-stop:
					loopDone <- firstErr
					return
				default:
				}
			}
			resp, err := h.HC.Do(h.request("GET", "app.test", "/", nil))
			if err != nil {
				failed.Add(1)
				if firstErr == "" {
					firstErr = err.Error()
				}
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || (string(b) != "one /" && string(b) != "two /") {
				failed.Add(1)
				if firstErr == "" {
					firstErr = fmt.Sprintf("status %d %q", resp.StatusCode, b)
				}
			}
			served.Add(1)
		}
		loopDone <- firstErr
	}()
	for i := range 40 {
		id := fmt.Sprintf("extra-%d", i)
		h.addCluster(id)
		h.addFrontend(order.HTTPFrontend{Hostname: id + ".test", ClusterID: id})
		h.addFrontend(order.HTTPFrontend{Hostname: "app.test", Path: "/" + id, ClusterID: id})
		h.addBackend(id, "b", o2.Addr)
		if i == 20 {
			h.addBackend(cl, "second", o2.Addr)
		}
		// Updating the cluster's settings must not disturb it.
		lb := order.LeastLoaded
		if i%2 == 1 {
			lb = order.RoundRobin
		}
		h.Must(order.UpdateCluster{ID: cl, LoadBalancing: order.Some(lb)})
	}
	close(stop)
	firstErr := <-loopDone
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed while orders were applied; first: %s", n, served.Load(), firstErr)
	}
	t.Logf("%d requests served while 200 orders were applied", served.Load())
	resp, body := h.get("extra-7.test", "/")
	wantStatus(t, resp, body, 200)
	if !strings.HasPrefix(body, "two") {
		t.Errorf("new frontend served by %q", body)
	}
}

// TestRemoveCluster: a removed cluster's frontends answer 404, its
// backends and frontends are gone from the state.
func TestRemoveCluster(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	id := h.route("app.test", o.Addr)
	h.addFrontend(order.HTTPFrontend{Hostname: "alias.test", ClusterID: id})
	keep := h.route("keep.test", o.Addr)
	for _, host := range []string{"app.test", "alias.test", "keep.test"} {
		resp, body := h.get(host, "/")
		wantStatus(t, resp, body, 200)
	}
	h.Must(order.RemoveCluster{ID: id})
	for _, host := range []string{"app.test", "alias.test"} {
		resp, body := h.get(host, "/")
		checkAnswer(t, resp, body, 404)
	}
	resp, body := h.get("keep.test", "/")
	wantStatus(t, resp, body, 200)

	st := h.Must(order.DumpState{}).Content.State
	for _, f := range st.HTTPFrontends {
		if f.ClusterID == id {
			t.Errorf("frontend %+v of the removed cluster remains", f)
		}
	}
	for _, b := range st.Backends {
		if b.ClusterID == id {
			t.Errorf("backend %+v of the removed cluster remains", b)
		}
	}
	if len(st.Clusters) != 1 || st.Clusters[0].ID != keep {
		t.Errorf("clusters after removal: %+v", st.Clusters)
	}
	// The id can be used again.
	h.route("app.test", o.Addr)
	resp, body = h.get("app.test", "/")
	wantStatus(t, resp, body, 200)
}
