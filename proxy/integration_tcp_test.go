package proxy_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// TestTCPRelay: bytes go both ways through a tcp frontend; connections are
// spread over the backends by round robin; a backend that refuses connects
// is skipped.
func TestTCPRelay(t *testing.T) {
	var hits [2]atomic.Int64
	mk := func(i int) *rawOrigin {
		return newRawOrigin(t, func(c net.Conn) {
			hits[i].Add(1)
			io.Copy(c, c)
		})
	}
	o0, o1 := mk(0), mk(1)
	dead := freeAddr(t) // nobody listens: connects are refused
	h := startTCP(t, nil, nil, o0.Addr, dead, o1.Addr)
	for i := range 10 {
		c := dialTCP(t, h.TCP)
		msg := strings.Repeat("ping", i+1)
		if got := roundTrip(t, c, msg); got != msg {
			t.Fatalf("echo %q, want %q", got, msg)
		}
		c.Close()
	}
	if a, b := hits[0].Load(), hits[1].Load(); a+b != 10 || a == 0 || b == 0 {
		t.Errorf("backends got %d and %d connections, want 10 spread over both", a, b)
	}
}

// TestTCPHalfClose: each direction can end first while the other goes on.
func TestTCPHalfClose(t *testing.T) {
	t.Run("client first", func(t *testing.T) {
		// The origin reads everything, then answers with its length.
		o := newRawOrigin(t, func(c net.Conn) {
			n, _ := io.Copy(io.Discard, c)
			io.WriteString(c, strings.Repeat("x", int(n)))
			c.(*net.TCPConn).CloseWrite()
		})
		h := startTCP(t, nil, nil, o.Addr)
		c := dialTCP(t, h.TCP)
		io.WriteString(c, "hello world")
		c.CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "xxxxxxxxxxx" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("backend first", func(t *testing.T) {
		// The origin speaks first and half-closes, then reads the client.
		got := make(chan string, 1)
		o := newRawOrigin(t, func(c net.Conn) {
			io.WriteString(c, "banner")
			c.(*net.TCPConn).CloseWrite()
			b, _ := io.ReadAll(c)
			got <- string(b)
		})
		h := startTCP(t, nil, nil, o.Addr)
		c := dialTCP(t, h.TCP)
		b, err := io.ReadAll(c) // ends at the relayed half-close
		if err != nil || string(b) != "banner" {
			t.Fatalf("got %q, %v", b, err)
		}
		io.WriteString(c, "still talking")
		c.CloseWrite()
		if s := <-got; s != "still talking" {
			t.Fatalf("origin got %q", s)
		}
	})
}

// TestTCPBackendDies: a backend that goes away mid-stream ends the client
// connection cleanly: every byte sent before arrives, then the end.
func TestTCPBackendDies(t *testing.T) {
	sent := payload(3 << 20)
	o := newRawOrigin(t, func(c net.Conn) {
		c.Write(sent)
		c.(*net.TCPConn).SetLinger(0)
		c.Close() // gone, with a reset
	})
	h := startTCP(t, nil, nil, o.Addr)
	c := dialTCP(t, h.TCP)
	got, _ := io.ReadAll(c) // the end may be a reset, relayed as one
	if len(got) > len(sent) || !bytes.Equal(got, sent[:len(got)]) {
		t.Fatalf("got %d bytes that are not a prefix of what was sent", len(got))
	}
	// The client side is closed, not left hanging: a write fails soon.
	eventually(t, ioTimeout, "the client side to close", func() bool {
		_, err := c.Write([]byte("x"))
		return err != nil
	})

	// A clean close (FIN) delivers everything.
	o2 := newRawOrigin(t, func(c net.Conn) { c.Write(sent) })
	h.Must(order.RemoveBackend{ClusterID: "db", ID: "b0"})
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: "db", ID: "b1", Address: o2.Addr}})
	c = dialTCP(t, h.TCP)
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, sent) {
		t.Fatalf("after a clean close: %d of %d bytes, %v", len(got), len(sent), err)
	}
}

// TestTCPIdleTimeout: a silent relay is closed after the listener's front
// timeout (the back timeout is longer).
func TestTCPIdleTimeout(t *testing.T) {
	o := echoOrigin(t)
	h := startTCP(t, func(l *order.Listener) {
		l.FrontTimeout = order.Duration(300 * time.Millisecond)
		l.BackTimeout = order.Duration(time.Minute)
	}, nil, o.Addr)
	c := dialTCP(t, h.TCP)
	if got := roundTrip(t, c, "hi"); got != "hi" {
		t.Fatal(got)
	}
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read a byte from a silent relay")
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 3*time.Second {
		t.Errorf("closed after %v, want about 300ms", took)
	}
	eventually(t, ioTimeout, "the origin's connection to close", func() bool { return o.open() == 0 })
}

// TestTCPRemovals: removing the frontend, the backend or the listener lets
// an open relay go on; new connections are closed (no frontend) or refused
// (no listener).
func TestTCPRemovals(t *testing.T) {
	o := echoOrigin(t)
	h := startTCP(t, nil, nil, o.Addr)
	open := dialTCP(t, h.TCP)
	roundTrip(t, open, "first")

	h.Must(order.RemoveBackend{ClusterID: "db", ID: "b0"})
	if got := roundTrip(t, open, "after backend removal"); got != "after backend removal" {
		t.Fatal(got)
	}
	h.Must(order.RemoveTCPFrontend{TCPFrontend: order.TCPFrontend{Address: h.TCP}})
	c := dialTCP(t, h.TCP)
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("a connection without a frontend read %d bytes", n)
	}
	if got := roundTrip(t, open, "after frontend removal"); got != "after frontend removal" {
		t.Fatal(got)
	}
	h.Must(order.RemoveListener{Address: h.TCP})
	if _, err := net.DialTimeout("tcp", h.TCP, ioTimeout); err == nil {
		t.Fatal("a removed listener accepted a connection")
	}
	if got := roundTrip(t, open, "after listener removal"); got != "after listener removal" {
		t.Fatal(got)
	}
	open.CloseWrite()
	if rest, err := io.ReadAll(open); err != nil || len(rest) != 0 {
		t.Fatalf("end of the relay: %q %v", rest, err)
	}
}

// TestTCPNoFrontendOrBackend: a tcp listener whose cluster has no backend,
// or that has no frontend, closes connections at once.
func TestTCPNoFrontendOrBackend(t *testing.T) {
	h := startTCP(t, nil, nil)
	c := dialTCP(t, h.TCP)
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read from a cluster without backends")
	}
}

// TestTCPShortConnections: 10 000 short connections in a row leave no
// goroutine and no descriptor behind.
func TestTCPShortConnections(t *testing.T) {
	o := echoOrigin(t)
	h := startTCP(t, nil, nil, o.Addr)
	c := dialTCP(t, h.TCP) // warm up
	roundTrip(t, c, "warm")
	c.Close()
	eventually(t, ioTimeout, "the warm-up to end", func() bool { return o.open() == 0 })
	g0, fd0 := settle(0, 200*time.Millisecond), openFDs()
	idle0 := h.Must(order.Status{}).Content.Status.IdleWorkers
	const n = 10000
	buf := make([]byte, 4)
	for i := range n {
		c, err := net.DialTimeout("tcp", h.TCP, ioTimeout)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("connection %d: %q %v", i, buf, err)
		}
		c.Close()
	}
	eventually(t, ioTimeout, "every relay to end", func() bool {
		st := h.Must(order.Status{}).Content.Status
		return st.ActiveConnections == 0 && o.open() == 0
	})
	// Workers that served a connection may wait for the next one: bounded,
	// and counted by the status.
	g := settle(g0, 2*time.Second)
	idle := h.Must(order.Status{}).Content.Status.IdleWorkers
	if idle > listener.MaxIdleWorkers || g-idle > g0-idle0 {
		t.Errorf("%d goroutines (%d idle workers) after %d connections, %d (%d) before", g, idle, n, g0, idle0)
	}
	if fd := openFDs(); fd0 >= 0 && fd > fd0 {
		t.Errorf("%d descriptors open after %d connections, %d before", fd, n, fd0)
	}
	if a := o.Accepted.Load(); a != n+1 {
		t.Errorf("origin accepted %d connections, want %d", a, n+1)
	}
}

// TestTCPHardStopAfterRemoval: a hard shutdown also cuts the open relays
// of a listener removed earlier, which would otherwise keep Run waiting
// for their idle timeout.
func TestTCPHardStopAfterRemoval(t *testing.T) {
	o := echoOrigin(t)
	addr := freeAddr(t)
	client, end := proxy.NewChannel(16)
	done := make(chan error, 1)
	go func() {
		done <- proxy.Run(context.Background(), proxy.Config{Logger: testLogger(), ShutdownGrace: time.Minute,
			Listeners: []order.Listener{{Protocol: order.TCP, Address: addr, Active: true}}}, end)
	}()
	do := func(o order.Order) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		must(t)(client.Do(ctx, o))
	}
	do(order.AddCluster{Cluster: order.Cluster{ID: "db", Protocol: order.TCP}})
	do(order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: addr, ClusterID: "db"}})
	do(order.AddBackend{Backend: order.Backend{ClusterID: "db", ID: "b0", Address: o.Addr}})
	c := dialTCP(t, addr)
	roundTrip(t, c, "open")
	do(order.RemoveListener{Address: addr})
	roundTrip(t, c, "still open")
	do(order.Shutdown{Hard: true})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		c.Close()
		<-done
		t.Fatal("Run still waiting for the removed listener's relay after a hard shutdown")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the relay is still open")
	}
}
