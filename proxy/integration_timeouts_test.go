package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

const (
	shortTimeout = 200 * time.Millisecond
	// slack is what a timeout may overrun by on a loaded machine under
	// -race; the tests check behaviour, not speed.
	slack = 3 * time.Second
)

// TestRequestTimeout: a client that sends half a head and stalls gets 408
// and is closed; one that sends nothing at all is closed.
func TestRequestTimeout(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.RequestTimeout = shortTimeout })
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	start := time.Now()
	c.write("GET / HTTP/1.1\r\nHo")
	resp, body := c.read("GET")
	checkAnswer(t, resp, body, 408)
	c.expectClosed(slack)
	if d := time.Since(start); d > shortTimeout+slack {
		t.Errorf("stalled head answered after %v, request_timeout is %v", d, shortTimeout)
	}

	c = dialRaw(t, h.Addr)
	start = time.Now()
	c.expectClosed(shortTimeout + slack)
	t.Logf("silent connection closed after %v", time.Since(start))

	// A head sent byte by byte still has only request_timeout in total.
	c = dialRaw(t, h.Addr)
	start = time.Now()
	c.write("GET / HTTP/1.1\r\nHost: app.test\r\nX-Slow: ")
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for range 200 {
			<-tick.C
			if _, err := c.C.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	resp, body = c.read("GET")
	checkAnswer(t, resp, body, 408)
	if d := time.Since(start); d > shortTimeout+slack {
		t.Errorf("trickled head answered after %v, request_timeout is %v", d, shortTimeout)
	}
	c.C.Close()
	<-done
	if n := o.Requests.Load(); n != 0 {
		t.Errorf("%d requests reached the origin", n)
	}
}

// TestFrontTimeout: an idle keep-alive connection is closed after
// front_timeout.
func TestFrontTimeout(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.FrontTimeout = shortTimeout })
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
	if resp.Close {
		t.Fatal("keep-alive request answered with Connection: close")
	}
	start := time.Now()
	c.expectClosed(shortTimeout + slack)
	t.Logf("idle connection closed after %v (front_timeout %v)", time.Since(start), shortTimeout)
}

// TestBackTimeout: an origin that never answers gives 504.
func TestBackTimeout(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.BackTimeout = shortTimeout })
	quit := make(chan struct{})
	o := newOrigin(t, "silent", func(w http.ResponseWriter, r *http.Request) {
		select { // never answers; returns when the proxy gives up
		case <-r.Context().Done():
		case <-quit:
		}
	})
	t.Cleanup(func() { close(quit) }) // before the origin closes
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
	resp, body := c.read("GET")
	checkAnswer(t, resp, body, 504)
	// The request was read whole: the client connection stays usable.
	c.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
	resp, body = c.read("GET")
	checkAnswer(t, resp, body, 504)
}

// TestBackendDown: a backend nobody listens on gives 503 (the proxy found
// no backend it could connect to); with a second, live backend every
// request succeeds thanks to the retry on another backend.
func TestBackendDown(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.ConnectTimeout = shortTimeout })
	dead := freeAddr(t)
	h.route("dead.test", dead)
	resp, body := h.get("dead.test", "/")
	checkAnswer(t, resp, body, 503)

	live := newOrigin(t, "live", nil)
	h.route("half.test", dead, live.Addr)
	for i := range 20 {
		resp, body := h.get("half.test", "/")
		wantStatus(t, resp, body, 200)
		if body != "live /" {
			t.Fatalf("request %d served by %q", i, body)
		}
	}
	// A POST with a body is retried too: it never left the proxy.
	for range 4 {
		req := h.request("POST", "half.test", "/p", strings.NewReader("data"))
		req.ContentLength = 4
		resp, body := h.send(req)
		wantStatus(t, resp, body, 200)
	}
}

// TestBackendBrokenResponse: an origin that closes without answering, or
// answers garbage, gives 502; the client connection stays usable (its
// request was read whole), and the next answer is not corrupted.
func TestBackendBrokenResponse(t *testing.T) {
	h := startProxy(t, nil)
	closer := newRawOrigin(t, func(c net.Conn) {
		readHead(bufio.NewReader(c))
	})
	garbage := newRawOrigin(t, func(c net.Conn) {
		if _, err := readHead(bufio.NewReader(c)); err == nil {
			io.WriteString(c, "HTTP/1.1 2OO OK\r\n\r\n")
		}
	})
	h.route("closer.test", closer.Addr)
	h.route("garbage.test", garbage.Addr)
	ok := newOrigin(t, "ok", nil)
	h.route("ok.test", ok.Addr)

	c := dialRaw(t, h.Addr)
	for _, host := range []string{"closer.test", "garbage.test", "closer.test"} {
		c.write("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
		resp, body := c.read("GET")
		checkAnswer(t, resp, body, 502)
	}
	c.write("GET / HTTP/1.1\r\nHost: ok.test\r\n\r\n")
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
}

// TestIdleBackendTimeout: a pooled backend connection serves the next
// request while it is younger than IdleBackendTimeout (idle_backend_timeout)
// and is not used after: the request after a longer pause opens a new one.
func TestIdleBackendTimeout(t *testing.T) {
	for _, c := range []struct {
		idle  time.Duration
		opens int64
	}{{10 * time.Second, 1}, {shortTimeout, 2}} {
		h := startProxy(t, func(cfg *proxy.Config) { cfg.IdleBackendTimeout = c.idle })
		o := newOrigin(t, "app", nil)
		h.route("app.test", o.Addr)
		start := time.Now()
		h.get("app.test", "/1")
		h.get("app.test", "/2") // the pooled connection, at once
		// (A machine too busy to make them within idle proves nothing.)
		if n := o.Opened.Load(); n != 1 && time.Since(start) < c.idle {
			t.Fatalf("idle %v: %d connections to the origin for two requests in a row, want 1", c.idle, n)
		}
		before := o.Opened.Load()
		time.Sleep(2 * shortTimeout)
		if resp, body := h.get("app.test", "/3"); resp.StatusCode != 200 || body != "app /3" {
			t.Fatalf("idle %v: after a pause: %d %q", c.idle, resp.StatusCode, body)
		}
		if n := o.Opened.Load() - before; n != c.opens-1 {
			t.Errorf("idle %v: %d connections opened after a pause of %v, want %d", c.idle, n, 2*shortTimeout, c.opens-1)
		}
	}
}

// TestIdleBackendTimeoutH2: idle_backend_timeout closes an HTTP/2
// backend connection with no stream open too (it was fixed at 30 s), and
// the next request opens a new one; a connection in use is kept.
func TestIdleBackendTimeoutH2(t *testing.T) {
	const idle = time.Second
	eachFrontWith(t, func(t *testing.T, c *proxy.Config) { c.IdleBackendTimeout = idle }, func(t *testing.T, f *front) {
		o := newH2Origin(t, "h2c", nil, nil, nil)
		h2Route(f, "h2c.test", order.H2, nil, o.Addr)
		start := time.Now()
		for i := range 3 {
			resp, body := f.get("h2c.test", "/1")
			if want := "h2c HTTP/2.0 /1"; resp.StatusCode != 200 || body != want {
				t.Fatalf("request %d: %d %q, want %q", i, resp.StatusCode, body, want)
			}
		}
		// Three requests within idle share one connection (a machine too
		// busy to make them in time proves nothing here either way).
		if n := o.Opened.Load(); n != 1 && time.Since(start) < idle {
			t.Fatalf("%d connections to the origin for three requests in a row, want 1", n)
		}
		opened := o.Opened.Load()
		eventually(t, idle+slack, "the idle HTTP/2 connection to the origin to close", func() bool { return o.Closed.Load() == opened })
		if resp, body := f.get("h2c.test", "/2"); resp.StatusCode != 200 || body != "h2c HTTP/2.0 /2" {
			t.Fatalf("after the close: %d %q", resp.StatusCode, body)
		}
		if n := o.Opened.Load(); n != opened+1 {
			t.Fatalf("%d connections to the origin after the idle one closed, want %d", n, opened+1)
		}
	})
}

// TestPassiveHealthSetting: a cluster's passive_health decides how many
// failed connects take a backend down: one with max_failures 1, three by
// default (the first leaves it in backoff); an update changes it at once.
func TestPassiveHealthSetting(t *testing.T) {
	h := startProxy(t, nil)
	health := func(id string) string {
		t.Helper()
		list := h.Must(order.ListBackends{ClusterID: id}).Content.Backends
		if len(list) != 1 {
			t.Fatalf("cluster %s lists %d backends", id, len(list))
		}
		return list[0].Health
	}
	strict := h.route("strict.test", freeAddr(t))
	h.Must(order.UpdateCluster{ID: strict, PassiveHealth: order.Some(&order.PassiveHealth{MaxFailures: 1})})
	lenient := h.route("lenient.test", freeAddr(t))
	for _, host := range []string{"strict.test", "lenient.test"} {
		resp, body := h.get(host, "/")
		checkAnswer(t, resp, body, 503)
	}
	if got := health(strict); got != "down" {
		t.Errorf("max_failures 1: after a failed connect the backend is %s, want down", got)
	}
	if got := health(lenient); got != "backoff" {
		t.Errorf("default: after a failed connect the backend is %s, want backoff", got)
	}
	// The default cluster, told max_failures 1, goes down at its next
	// failed connect: a recovery probe or a request, once its wait is over.
	h.Must(order.UpdateCluster{ID: lenient, PassiveHealth: order.Some(&order.PassiveHealth{MaxFailures: 1, Backoff: order.Duration(10 * time.Millisecond)})})
	eventually(t, slack, "the lenient cluster's backend to go down", func() bool {
		h.get("lenient.test", "/")
		return health(lenient) == "down"
	})
}
