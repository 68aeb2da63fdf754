//go:build linux

package park

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waker records its wakes on a channel.
type waker chan struct{}

func (w waker) Wake() { w <- struct{}{} }

// pair returns both ends of a loopback TCP connection and the raw conn of
// the server end.
func pair(t *testing.T) (server, client net.Conn, rc syscall.RawConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	rc, err = server.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return server, client, rc
}

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func expectWake(t *testing.T, w waker) {
	t.Helper()
	select {
	case <-w:
	case <-time.After(5 * time.Second):
		t.Fatal("not woken")
	}
}

func expectNoWake(t *testing.T, w waker, d time.Duration) {
	t.Helper()
	select {
	case <-w:
		t.Fatal("woken")
	case <-time.After(d):
	}
}

func TestWakesOnBytesOnce(t *testing.T) {
	p := newPoller(t)
	server, client, rc := pair(t)
	w := make(waker, 2)
	if _, err := p.Park(rc, w); err != nil {
		t.Fatal(err)
	}
	expectNoWake(t, w, 50*time.Millisecond)
	if p.Parked() != 1 {
		t.Fatalf("Parked = %d, want 1", p.Parked())
	}
	client.Write([]byte("GET"))
	expectWake(t, w)
	// The bytes are still there for the owner to read.
	buf := make([]byte, 8)
	server.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := server.Read(buf); err != nil || string(buf[:n]) != "GET" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	// One shot: more bytes do not wake again.
	client.Write([]byte("more"))
	expectNoWake(t, w, 50*time.Millisecond)
	if p.Parked() != 0 {
		t.Fatalf("Parked = %d after wake, want 0", p.Parked())
	}
}

func TestBytesAlreadyWaitingWakeAtOnce(t *testing.T) {
	p := newPoller(t)
	_, client, rc := pair(t)
	client.Write([]byte("x"))
	time.Sleep(20 * time.Millisecond) // let the bytes land
	w := make(waker, 1)
	if _, err := p.Park(rc, w); err != nil {
		t.Fatal(err)
	}
	expectWake(t, w)
}

func TestWakesOnHangUp(t *testing.T) {
	p := newPoller(t)
	_, client, rc := pair(t)
	w := make(waker, 1)
	if _, err := p.Park(rc, w); err != nil {
		t.Fatal(err)
	}
	client.Close()
	expectWake(t, w)
}

func TestUnparkStopsWatching(t *testing.T) {
	p := newPoller(t)
	server, client, rc := pair(t)
	w := make(waker, 1)
	k, err := p.Park(rc, w)
	if err != nil {
		t.Fatal(err)
	}
	p.Unpark(rc, k)
	client.Write([]byte("x"))
	expectNoWake(t, w, 100*time.Millisecond)
	// Parked again after Unpark: the watch is new and works.
	if _, err := p.Park(rc, w); err != nil {
		t.Fatalf("park after unpark: %v", err)
	}
	expectWake(t, w)
	_ = server
}

func TestClosedConnIsRefused(t *testing.T) {
	p := newPoller(t)
	server, _, rc := pair(t)
	server.Close()
	if _, err := p.Park(rc, make(waker, 1)); err == nil {
		t.Fatal("Park of a closed connection succeeded")
	}
	if p.Parked() != 0 {
		t.Fatalf("Parked = %d, want 0", p.Parked())
	}
}

func TestCloseEndsTheLoop(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	_, client, rc := pair(t)
	w := make(waker, 1)
	if _, err := p.Park(rc, w); err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close() // twice is fine
	client.Write([]byte("x"))
	expectNoWake(t, w, 50*time.Millisecond)
	if _, err := p.Park(rc, w); !errors.Is(err, ErrClosed) {
		t.Fatalf("Park after Close: %v, want ErrClosed", err)
	}
}

// TestManyConnections parks many connections and wakes them all in an
// arbitrary order, each exactly once.
func TestManyConnections(t *testing.T) {
	p := newPoller(t)
	const n = 200
	clients := make([]net.Conn, n)
	w := make(waker, n)
	for i := range n {
		_, c, rc := pair(t)
		clients[i] = c
		if _, err := p.Park(rc, w); err != nil {
			t.Fatal(err)
		}
	}
	for i := n - 1; i >= 0; i-- {
		clients[i].Write([]byte("x"))
	}
	for range n {
		expectWake(t, w)
	}
	expectNoWake(t, w, 50*time.Millisecond)
}
