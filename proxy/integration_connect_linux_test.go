//go:build linux

package proxy_test

import (
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/proxy"
)

// unresponsiveAddr returns a loopback address whose listener never accepts
// and whose accept queue is full, so that new connects hang (the kernel
// drops their SYNs) until the connector gives up.
func unresponsiveAddr(t *testing.T) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Skipf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Skipf("listen: %v", err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the accept queue.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			if i == 0 {
				t.Skipf("cannot fill the accept queue: %v", err)
			}
			return addr
		}
		t.Cleanup(func() { c.Close() })
		if i > 16 {
			t.Skip("the accept queue does not fill up here")
		}
	}
}

// TestConnectTimeout: a backend that does not complete the TCP handshake
// is given up after connect_timeout (not the 30s back_timeout), the
// request answered 503, and another backend is tried.
func TestConnectTimeout(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.ConnectTimeout = shortTimeout })
	hung := unresponsiveAddr(t)
	h.route("hung.test", hung)
	start := time.Now()
	resp, body := h.get("hung.test", "/")
	checkAnswer(t, resp, body, 503)
	if d := time.Since(start); d > shortTimeout+slack {
		t.Errorf("answered after %v, connect_timeout is %v", d, shortTimeout)
	}
	live := newOrigin(t, "live", nil)
	h.route("half.test", hung, live.Addr)
	for range 4 {
		resp, body := h.get("half.test", "/")
		wantStatus(t, resp, body, 200)
	}
}
