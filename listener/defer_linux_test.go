//go:build linux

package listener

import (
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/sock"
)

// waiting reports whether c has bytes to read, without reading them.
func waiting(t *testing.T, c net.Conn) bool {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rc.Control(func(fd uintptr) {
		b := make([]byte, 1)
		n, _, _ = syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	}); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// deferSecs is the listening socket's TCP_DEFER_ACCEPT.
func deferSecs(t *testing.T, a *Acceptor) int {
	t.Helper()
	rc, err := a.ln.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	return v
}

// TestStreamsHandedOverWithTheirRequest: an Acceptor of Streams hands a
// connection over once its first bytes are there (TCP_DEFER_ACCEPT), so
// that the first read finds them; a client that sends nothing is still
// handed over, after about sock.DeferSeconds.
func TestStreamsHandedOverWithTheirRequest(t *testing.T) {
	var conns sync.WaitGroup
	type handed struct {
		bytes bool
		at    time.Time
	}
	got := make(chan handed, 2)
	a, err := Listen(nil, "127.0.0.1:0", NewSlots(10), &conns, func(c net.Conn, release func()) {
		got <- handed{waiting(t, c), time.Now()}
		c.Close()
		release()
	})
	if err != nil {
		t.Fatal(err)
	}
	if !a.AcceptStreams() {
		t.Fatal("no Streams on Linux")
	}
	a.Start()
	defer func() { a.Close(); conns.Wait() }()
	if deferSecs(t, a) == 0 {
		t.Fatal("TCP_DEFER_ACCEPT not set on the listening socket of Streams")
	}

	c, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(200 * time.Millisecond) // connected, silent
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	if h := <-got; !h.bytes {
		t.Fatal("connection handed over before its first bytes came")
	}

	silent, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	start := time.Now()
	select {
	case h := <-got:
		if h.bytes {
			t.Fatal("a silent client had bytes")
		}
		t.Logf("silent client handed over after %v", h.at.Sub(start))
	case <-time.After(sock.DeferSeconds*time.Second + 10*time.Second):
		t.Fatal("a silent client was never handed over")
	}
}

// TestPlainAcceptorDoesNotDefer: an Acceptor of net.TCPConns (TLS, tcp
// relays, whose servers may speak first) turns TCP_DEFER_ACCEPT off, also
// on a socket that had it from an earlier listener.
func TestPlainAcceptorDoesNotDefer(t *testing.T) {
	var conns sync.WaitGroup
	a, err := Listen(nil, "127.0.0.1:0", NewSlots(10), &conns, func(c net.Conn, release func()) {
		c.Close()
		release()
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sock.DeferAccept(a.ln, true); err != nil {
		t.Fatal(err)
	}
	if deferSecs(t, a) == 0 {
		t.Fatal("sock.DeferAccept did not set TCP_DEFER_ACCEPT")
	}
	a.Start()
	defer func() { a.Close(); conns.Wait() }()
	if v := deferSecs(t, a); v != 0 {
		t.Fatalf("TCP_DEFER_ACCEPT = %d on a listener of net.TCPConns", v)
	}
}
