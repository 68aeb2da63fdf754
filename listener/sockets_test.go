package listener

import (
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listening returns a listening socket on 127.0.0.1 as a file (the test's
// own copy is closed) and its address.
func listening(t *testing.T, addr string) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return f, ln.Addr().String()
}

// TestSocketsInheritByKey: a socket handed over under an address key is
// taken by a listener with that key, is the same socket (a connection made
// before the take is accepted after it), and is taken once.
func TestSocketsInheritByKey(t *testing.T) {
	f, addr := listening(t, "127.0.0.1:0")
	s := &Sockets{}
	if err := s.Inherit(Socket{Address: "front"}, f); err != nil {
		t.Fatal(err)
	}
	early, err := net.Dial("tcp", addr) // waits in the backlog
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	tl, err := s.Listen("front")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	if tl.Addr().String() != addr {
		t.Fatalf("took %s, want the inherited %s", tl.Addr(), addr)
	}
	tl.SetDeadline(time.Now().Add(5 * time.Second))
	c, err := tl.Accept()
	if err != nil {
		t.Fatalf("the connection made before the take was not accepted: %v", err)
	}
	c.Close()
	if left := s.Unclaimed(); len(left) != 0 {
		t.Fatalf("unclaimed after the take: %v", left)
	}
	// Taken once: the same key now binds, here a port taken by the first.
	if _, err := s.Listen(addr); err == nil {
		t.Fatal("a second listener on the inherited address bound it; want address in use")
	}
}

// TestSocketsMatchByAddress: a service manager's socket (no key) goes to a
// listener whose address resolves to its bound address, unspecified
// matching unspecified; it is kept, so that the listener can close and
// take it again; an unknown address binds.
func TestSocketsMatchByAddress(t *testing.T) {
	f, addr := listening(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(addr)
	s := &Sockets{}
	if err := s.Inherit(Socket{Name: "web", Kept: true}, f); err != nil {
		t.Fatal(err)
	}
	wild, wildAddr := listening(t, ":0")
	_, wildPort, _ := net.SplitHostPort(wildAddr)
	if err := s.Inherit(Socket{Name: "all", Kept: true}, wild); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ { // kept: taken again after a close
		tl, err := s.Listen("localhost:" + port)
		if err != nil {
			t.Fatal(err)
		}
		if tl.Addr().String() != addr {
			t.Fatalf("round %d: localhost:%s took %s, want %s", round, port, tl.Addr(), addr)
		}
		s.Forget(tl)
		tl.Close()
	}
	tl, err := s.Listen("0.0.0.0:" + wildPort)
	if err != nil {
		t.Fatal(err)
	}
	if got := tl.Addr().(*net.TCPAddr); got.Port != atoi(t, wildPort) || !got.IP.IsUnspecified() {
		t.Fatalf("0.0.0.0:%s took %s", wildPort, got)
	}
	s.Forget(tl)
	tl.Close()
	other, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Forget(other)
	other.Close()
	if k := s.Kept(); len(k) != 2 || !strings.Contains(k[0], "web") {
		t.Fatalf("kept, none in use: %v", k)
	}
	inUse, err := s.Listen("localhost:" + port)
	if err != nil {
		t.Fatal(err)
	}
	if k := s.Kept(); len(k) != 1 || !strings.Contains(k[0], "all") {
		t.Fatalf("kept, web in use: %v", k)
	}
	s.Forget(inUse)
	inUse.Close()
	if left := s.Unclaimed(); len(left) != 0 {
		t.Fatalf("kept sockets reported unclaimed: %v", left)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSocketsDup: Dup gives a duplicate of every live socket under its key
// and of every kept one, sharing the socket: a connection made to the
// address is accepted through the duplicate. A forgotten socket is not
// listed. A socket that is not a listening TCP socket is refused.
func TestSocketsDup(t *testing.T) {
	s := &Sockets{}
	tl, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	gone, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Forget(gone)
	gone.Close()
	socks, fds, err := s.Dup()
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 1 || socks[0].Address != "127.0.0.1:0" || len(fds) != 1 {
		t.Fatalf("Dup: %+v %v", socks, fds)
	}
	dup, err := net.FileListener(os.NewFile(uintptr(fds[0]), "dup"))
	if err != nil {
		t.Fatal(err)
	}
	defer dup.Close()
	tl.Close() // the original goes; the duplicate holds the socket
	c, err := net.Dial("tcp", tl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dup.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	a, err := dup.Accept()
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	// A unix socket is not a listening TCP socket.
	var p [2]int
	if p, err = unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[1])
	if err := s.Inherit(Socket{Address: "x"}, os.NewFile(uintptr(p[0]), "pair")); err == nil ||
		!strings.Contains(err.Error(), "not a listening TCP socket") {
		t.Fatalf("a unix socket inherited: %v", err)
	}
}

// TestSocketsHold: an Acceptor whose socket was opened while Sockets held
// them does not accept until Release; connections wait in the backlog and
// are served after it.
func TestSocketsHold(t *testing.T) {
	s := &Sockets{}
	s.Hold()
	var conns sync.WaitGroup
	served := make(chan struct{}, 1)
	a, err := Listen(s, "127.0.0.1:0", NewSlots(10), &conns, func(c net.Conn, release func()) {
		c.Close()
		release()
		served <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	defer func() { a.Close(); conns.Wait() }()
	c, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-served:
		t.Fatal("served while held")
	case <-time.After(100 * time.Millisecond):
	}
	s.Release()
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("not served after Release")
	}
}
