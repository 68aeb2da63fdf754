package proxy_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// tcpHarness is a proxy with an http listener (h.Addr) and a tcp listener
// (TCP) whose frontend sends to cluster "db".
type tcpHarness struct {
	*harness
	TCP string
}

// startTCP runs a proxy with a tcp listener configured by mod (nil: the
// defaults), a tcp cluster "db" configured by cmod and its frontend, and
// the backends given (ids b0, b1, ...).
func startTCP(t *testing.T, mod func(*order.Listener), cmod func(*order.Cluster), backends ...string) *tcpHarness {
	t.Helper()
	addr := freeAddr(t)
	h := startProxy(t, func(c *proxy.Config) {
		l := order.Listener{Protocol: order.TCP, Address: addr, Active: true}
		if mod != nil {
			mod(&l)
		}
		c.Listeners = append(c.Listeners, l)
	})
	c := order.Cluster{ID: "db", Protocol: order.TCP}
	if cmod != nil {
		cmod(&c)
	}
	h.Must(order.AddCluster{Cluster: c})
	h.Must(order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: addr, ClusterID: "db"}})
	for i, b := range backends {
		h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "db", ID: "b" + string(rune('0'+i)), Address: b}})
	}
	return &tcpHarness{harness: h, TCP: addr}
}

// echoOrigin echoes each connection's bytes and half-closes after the
// client does.
func echoOrigin(t *testing.T) *rawOrigin {
	return newRawOrigin(t, func(c net.Conn) {
		io.Copy(c, c)
		c.(*net.TCPConn).CloseWrite()
	})
}

// dialTCP connects to addr with the test's I/O deadline.
func dialTCP(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads back as many bytes.
func roundTrip(t testing.TB, c net.Conn, msg string) string {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(got)
}

// headerOrigin reads a PROXY header from each connection, sends it to
// heads, then echoes.
func headerOrigin(t *testing.T, heads chan<- proxyproto.Header) *rawOrigin {
	return newRawOrigin(t, func(c net.Conn) {
		var h proxyproto.Header
		buf := make([]byte, proxyproto.DefaultMaxV2)
		if _, err := proxyproto.Read(c, buf, &h); err != nil {
			heads <- proxyproto.Header{Version: -1}
			return
		}
		h.TLVs = append([]byte(nil), h.TLVs...)
		heads <- h
		io.Copy(c, bufio.NewReader(c))
		c.(*net.TCPConn).CloseWrite()
	})
}

// openFDs counts this process's open descriptors other than pipes
// (Linux), or -1. Pipes are left out: the standard library keeps a pool of
// the pipes splice(2) goes through, which the garbage collector empties.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && !strings.HasPrefix(l, "pipe:") {
			n++
		}
	}
	return n
}

// settle waits until the goroutine count drops to at most want, or d
// passes, and returns the last count.
func settle(want int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}
