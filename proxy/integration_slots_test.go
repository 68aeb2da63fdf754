package proxy_test

import (
	"net"
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
	resp, body := c.read("GET") // within ioTimeout, where a lockout lasts front_timeout (60 s)
	wantStatus(t, resp, body, 200)
	t.Logf("a new client served in %v with %d idle connections holding every slot", time.Since(start), max)
	reclaimed := h.status().ReclaimedConnections
	if reclaimed < 1 || reclaimed > max/8 {
		t.Errorf("reclaimed_connections %d; want 1 to %d (an eighth of the idle ones)", reclaimed, max/8)
	}
	// The connections closed are among the oldest: the reclaimer orders
	// them by when they began to wait, which on a loaded machine may not be
	// quite the order they were opened in (a goroutine slow to get from a
	// response to its wait), but not by half of them.
	var closed []int
	eventually(t, ioTimeout, "the reclaimed connections to close", func() bool {
		closed = closed[:0]
		for i, ic := range idle {
			if idleClosed(ic) {
				closed = append(closed, i)
			}
		}
		return int64(len(closed)) >= reclaimed
	})
	if int64(len(closed)) != reclaimed || closed[len(closed)-1] >= max/2 {
		t.Errorf("connections closed %v; want %d of the oldest half", closed, reclaimed)
	}
	newest := idle[max-1]
	newest.write(getApp)
	resp, body = newest.read("GET")
	wantStatus(t, resp, body, 200)
}

// idleClosed reports whether the proxy has closed the idle connection rc
// (a read ends at once with an error that is not a timeout).
func idleClosed(rc *rawClient) bool {
	_ = rc.C.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := rc.BR.Peek(1)
	_ = rc.C.SetReadDeadline(time.Time{})
	ne, ok := err.(net.Error)
	return err != nil && !(ok && ne.Timeout())
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
