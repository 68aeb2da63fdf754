package proxy_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// blackhole is a listener whose accept queue is full and never drained:
// the kernel drops further SYNs, so connects to it time out instead of
// being refused.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	addr := ln.Addr().String()
	// Fill the queue (backlog somaxconn would take long: shrink it first).
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) { syscall.Listen(int(fd), 0) })
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // the queue is full
		}
		held = append(held, c)
	}
	t.Skip("could not fill a listen queue on this system")
	return ""
}

// TestAllBackendsDown: once every backend is down, requests get 503 at
// once instead of waiting for connect timeouts; the events say so.
func TestAllBackendsDown(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) {
		c.Listeners[0].ConnectTimeout = order.Duration(300 * time.Millisecond)
		c.Health = health.Policy{BackoffBase: 20 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
	})
	events := h.Client.Subscribe(h.Ctx)
	h.route("down.test", blackhole(t), blackhole(t), blackhole(t))
	// Connect timeouts take the backends down: 3 per request.
	sawDown := false
	for deadline := time.Now().Add(ioTimeout); !sawDown && time.Now().Before(deadline); {
		resp, body := h.get("down.test", "/")
		wantStatus(t, resp, body, 503)
		for drained := false; !drained; {
			select {
			case e := <-events:
				if e.Kind == order.ClusterDown && e.ClusterID == "c-down_test" {
					sawDown = true
				}
			default:
				drained = true
			}
		}
	}
	if !sawDown {
		t.Fatal("no cluster_down event after the backends stopped answering")
	}
	var slowest time.Duration
	for range 20 {
		start := time.Now()
		resp, body := h.get("down.test", "/")
		d := time.Since(start)
		wantStatus(t, resp, body, 503)
		slowest = max(slowest, d)
	}
	// A connect attempt would take 300ms; a request that makes none is
	// answered in well under that.
	if slowest >= 300*time.Millisecond {
		t.Fatalf("a 503 with every backend down took %v: connects were attempted", slowest)
	}
	t.Logf("slowest 503 with every backend down: %v", slowest)
}
