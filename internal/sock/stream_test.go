//go:build linux

package sock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// streamPair returns a client connection and the Stream its server side
// was accepted as.
func streamPair(t *testing.T) (client net.Conn, server *Stream) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sl, ok := NewListener(ln)
	if !ok {
		t.Fatal("NewListener refused a TCP listener")
	}
	defer sl.Close()
	return dialAccepted(t, ln.Addr().String(), sl.Accept)
}

func TestStreamBareReadWrite(t *testing.T) {
	c, s := streamPair(t)
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // the bytes are there before the read
	buf := make([]byte, 16)
	n, err := s.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	if _, err := s.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if s.joined.Load() != nil {
		t.Fatal("joined the poller without waiting")
	}
	n, err = io.ReadFull(c, buf[:4])
	if err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
	if got, want := s.RemoteAddr().String(), c.LocalAddr().String(); got != want {
		t.Errorf("RemoteAddr = %s, want %s", got, want)
	}
	if got, want := s.LocalAddr().String(), c.RemoteAddr().String(); got != want {
		t.Errorf("LocalAddr = %s, want %s", got, want)
	}
}

// An accepted Stream has TCP_NODELAY, inherited from the listening socket
// (no setsockopt per connection), also over IPv6.
func TestStreamNoDelay(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("%s: %v", addr, err) // no IPv6 here
			continue
		}
		sl, ok := NewListener(ln)
		if !ok {
			t.Fatal("NewListener refused a TCP listener")
		}
		if !sl.inherit {
			t.Errorf("%s: TCP_NODELAY not set on the listening socket", addr)
		}
		c, s := dialAccepted(t, ln.Addr().String(), sl.Accept)
		var v int
		var gerr error
		if err := (*streamConn)(s).Control(func(fd uintptr) {
			v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
		}); err != nil || gerr != nil {
			t.Fatal(err, gerr)
		}
		if v == 0 {
			t.Errorf("%s: accepted connection without TCP_NODELAY", addr)
		}
		c.Close()
		s.Close()
		sl.Close()
		ln.Close()
	}
}

func TestStreamReadWaits(t *testing.T) {
	c, s := streamPair(t)
	go func() {
		time.Sleep(30 * time.Millisecond)
		c.Write([]byte("late"))
	}()
	buf := make([]byte, 16)
	n, err := s.Read(buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	if s.joined.Load() == nil {
		t.Fatal("a Read that waited did not join the poller")
	}
	c.Close()
	if n, err := s.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer closed = %d, %v; want io.EOF", n, err)
	}
}

func TestStreamRawConnWaits(t *testing.T) {
	c, s := streamPair(t)
	var k Conn
	if !k.Init(s) {
		t.Fatal("Init refused a Stream")
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		c.Write([]byte("raw"))
	}()
	buf := make([]byte, 16)
	n, err := k.Read(buf)
	if err != nil || string(buf[:n]) != "raw" {
		t.Fatalf("Conn.Read = %q, %v", buf[:n], err)
	}
	if _, err := k.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	n, err = io.ReadFull(c, buf[:4])
	if err != nil || string(buf[:n]) != "back" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
}

func TestStreamDeadlines(t *testing.T) {
	for _, joinFirst := range []bool{false, true} {
		c, s := streamPair(t)
		buf := make([]byte, 8)
		if joinFirst {
			go func() { time.Sleep(20 * time.Millisecond); c.Write([]byte("x")) }()
			if _, err := s.Read(buf); err != nil {
				t.Fatal(err)
			}
		}
		// A deadline in the past fails the bare call and the wait alike.
		s.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("joined=%v: Read past its deadline: %v", joinFirst, err)
		}
		var ne net.Error
		s.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		start := time.Now()
		_, err := s.Read(buf)
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("joined=%v: Read with a deadline: %v, want a timeout", joinFirst, err)
		}
		if waited := time.Since(start); waited < 25*time.Millisecond {
			t.Fatalf("joined=%v: timed out after %v, before the deadline", joinFirst, waited)
		}
		s.SetReadDeadline(time.Time{})
		c.Write([]byte("y"))
		if n, err := s.Read(buf); err != nil || string(buf[:n]) != "y" {
			t.Fatalf("joined=%v: Read after clearing the deadline = %q, %v", joinFirst, buf[:n], err)
		}
	}
}

func TestStreamPastDeadlineEndsWait(t *testing.T) {
	_, s := streamPair(t)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond)
	s.SetReadDeadline(time.Unix(1, 0))
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read = %v, want os.ErrDeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a deadline in the past did not end a waiting Read")
	}
}

func TestStreamCloseEndsWait(t *testing.T) {
	c, s := streamPair(t)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a waiting Read")
	}
	if err := s.Close(); err == nil {
		t.Fatal("a second Close succeeded")
	}
	// The peer sees the end of the stream.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer read after Close: %v, want io.EOF", err)
	}
}

func TestStreamCloseBare(t *testing.T) {
	c, s := streamPair(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer read after Close: %v, want io.EOF", err)
	}
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if err := s.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("SetDeadline after Close: %v", err)
	}
}

func TestStreamCloseWrite(t *testing.T) {
	c, s := streamPair(t)
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer read after CloseWrite: %v, want io.EOF", err)
	}
	c.Write([]byte("still"))
	buf := make([]byte, 8)
	n, err := s.Read(buf)
	if err != nil || string(buf[:n]) != "still" {
		t.Fatalf("Read after CloseWrite = %q, %v", buf[:n], err)
	}
}

func TestStreamWriteWaitsForRoom(t *testing.T) {
	c, s := streamPair(t)
	big := bytes.Repeat([]byte("z"), 32<<20) // more than the socket buffers hold
	got := make(chan int, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // the buffers fill first
		n, _ := io.Copy(io.Discard, c)
		got <- int(n)
	}()
	n, err := s.Write(big)
	if err != nil || n != len(big) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if s.joined.Load() == nil {
		t.Fatal("a Write that filled the buffer did not join the poller")
	}
	s.Close()
	if n := <-got; n != len(big) {
		t.Fatalf("peer read %d bytes, want %d", n, len(big))
	}
}

// Close racing with calls from other goroutines: every call ends, with
// its bytes or net.ErrClosed, and the descriptor is closed once.
func TestStreamCloseRace(t *testing.T) {
	for i := 0; i < 50; i++ {
		c, s := streamPair(t)
		c.Write([]byte("abc"))
		var wg sync.WaitGroup
		var read atomic.Int32
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 1)
				for {
					n, err := s.Read(buf)
					read.Add(int32(n))
					if err != nil {
						if !errors.Is(err, net.ErrClosed) && err != io.EOF {
							t.Errorf("Read: %v", err)
						}
						return
					}
				}
			}()
		}
		// Close once "abc" is read: closing a socket with unread bytes
		// makes the kernel reset the connection (the peer then reads
		// ECONNRESET, not EOF), which is not what this test is about.
		testwait.For(t, "the readers to take abc", func() bool { return read.Load() == 3 })
		time.Sleep(time.Millisecond) // readers back in Read, waiting
		s.Close()
		wg.Wait()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("peer read after Close: %v, want io.EOF", err)
		}
	}
}

func TestListenerClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sl, _ := NewListener(ln)
	errc := make(chan error, 1)
	go func() { _, err := sl.Accept(); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	sl.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on a closed listener: %v", err)
	}
}

// TestStreamDeadlineMovedLater: once joined, a deadline moved later is
// kept by the Stream while the poller still holds the earlier one; the
// earlier one firing neither fails the wait nor ends it: the wait goes on
// to the true deadline, or until the bytes come.
func TestStreamDeadlineMovedLater(t *testing.T) {
	c, s := streamPair(t)
	buf := make([]byte, 8)
	go func() { time.Sleep(20 * time.Millisecond); c.Write([]byte("x")) }()
	if _, err := s.Read(buf); err != nil { // joins
		t.Fatal(err)
	}
	if s.joined.Load() == nil {
		t.Fatal("the Stream did not join the poller")
	}

	// Bytes that come after the first deadline, before the second.
	s.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	s.SetReadDeadline(time.Now().Add(10 * time.Second))
	go func() { time.Sleep(150 * time.Millisecond); c.Write([]byte("y")) }()
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "y" {
		t.Fatalf("Read past the poller's earlier deadline = %q, %v", buf[:n], err)
	}

	// No bytes: the wait ends at the second deadline, not the first.
	s.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	s.SetReadDeadline(start.Add(200 * time.Millisecond))
	_, err := s.Read(buf)
	waited := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) || waited < 195*time.Millisecond {
		t.Fatalf("Read = %v after %v, want a timeout at the second deadline (200ms)", err, waited)
	}

	// Cleared: no deadline at all after the earlier one fires.
	s.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	s.SetReadDeadline(time.Time{})
	go func() { time.Sleep(100 * time.Millisecond); c.Write([]byte("z")) }()
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "z" {
		t.Fatalf("Read after the deadline was cleared = %q, %v", buf[:n], err)
	}

	// The same for a write that waits for room: the client reads nothing
	// until the second deadline has passed.
	s.SetWriteDeadline(time.Now().Add(30 * time.Millisecond))
	start = time.Now()
	s.SetWriteDeadline(start.Add(200 * time.Millisecond))
	_, err = s.Write(make([]byte, 64<<20))
	waited = time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) || waited < 195*time.Millisecond {
		t.Fatalf("Write = %v after %v, want a timeout at the second deadline (200ms)", err, waited)
	}
}
