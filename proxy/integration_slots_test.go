package proxy_test

import (
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

const getApp = "GET / HTTP/1.1\r\nHost: app.test\r\n\r\n"

// status returns the proxy's status.
func (h *harness) status() *order.ProxyStatus {
	h.t.Helper()
	return h.Must(order.Status{}).Content.Status
}

// keepAlive opens n connections that have each been answered one request
// and stay open, idle, oldest first.
func keepAlive(t *testing.T, h *harness, n int) []*rawClient {
	t.Helper()
	cs := make([]*rawClient, n)
	for i := range cs {
		cs[i] = dialRaw(t, h.Addr)
		cs[i].write(getApp)
		resp, body := cs[i].read("GET")
		wantStatus(t, resp, body, 200)
	}
	return cs
}

// TestIdleConnectionsReclaimed: with max_connections held by idle
// keep-alive connections from one client, a new client is served: the
// proxy closes the oldest idle connections to make room (issue 13, defect
// 7), and the others stay usable.
func TestIdleConnectionsReclaimed(t *testing.T) {
	const max = 50
	h := startProxy(t, func(c *proxy.Config) { c.MaxConnections = max })
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	idle := keepAlive(t, h, max)
	if n := h.status().ActiveConnections; n != max {
		t.Fatalf("%d connections open; want %d", n, max)
	}

	start := time.Now()
	c := dialRaw(t, h.Addr)
	c.write(getApp)
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
	d := time.Since(start)
	t.Logf("a new client served in %v with %d idle connections holding every slot", d, max)
	if d > slack {
		t.Errorf("a new client waited %v for its answer", d)
	}
	if n := h.status().ReclaimedConnections; n < 1 || n > max/8 {
		t.Errorf("reclaimed_connections %d; want 1 to %d (an eighth of the idle ones)", n, max/8)
	}
	idle[0].expectClosed(slack) // the oldest
	idle[max-1].write(getApp)   // the newest
	resp, body = idle[max-1].read("GET")
	wantStatus(t, resp, body, 200)
}

// TestKeepAliveTimeout: an idle keep-alive connection closes after the
// listener's keepalive_timeout, while a request head begun after a
// response has the whole request_timeout (408 after it, not a close at
// the keep-alive timeout).
func TestKeepAliveTimeout(t *testing.T) {
	const keepAliveT, request = 300 * time.Millisecond, 1500 * time.Millisecond
	h := startProxy(t, func(c *proxy.Config) {
		c.Listeners[0].KeepAliveTimeout = order.Duration(keepAliveT)
		c.Listeners[0].RequestTimeout = order.Duration(request)
	})
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)

	idle, slow := keepAlive(t, h, 1)[0], keepAlive(t, h, 1)[0]
	start := time.Now()
	slow.write("GET / HTTP/1.1\r\nHo")
	idle.expectClosed(keepAliveT + slack)
	t.Logf("idle keep-alive connection closed after %v (keepalive_timeout %v)", time.Since(start), keepAliveT)

	resp, body := slow.read("GET")
	checkAnswer(t, resp, body, 408)
	if d := time.Since(start); d < request-100*time.Millisecond {
		t.Errorf("a head begun after a response got 408 after %v; request_timeout is %v", d, request)
	}
	slow.expectClosed(slack)
}
