package sock

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// TestConnDeadlineMovedLater: through a Conn making raw calls, a
// deadline moved later is not handed to the socket at once; the earlier
// one firing neither fails nor ends the wait (Read, WriteRead, Write), a
// peek after it (Quiet) still works, and Settle leaves the socket with
// the deadline asked for.
func TestConnDeadlineMovedLater(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	buf := make([]byte, 8)

	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	go func() { time.Sleep(150 * time.Millisecond); b.Write([]byte("x")) }()
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "x" {
		t.Fatalf("Read past the socket's earlier deadline = %q, %v", buf[:n], err)
	}

	// No bytes: the wait ends at the second deadline, not the first.
	c.SetReadDeadline(time.Now().Add(10 * time.Millisecond)) // earlier: handed over
	start := time.Now()
	c.SetReadDeadline(start.Add(200 * time.Millisecond))
	_, err := c.Read(buf)
	if waited := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || waited < 195*time.Millisecond {
		t.Fatalf("Read = %v after %v, want a timeout at the second deadline (200ms)", err, waited)
	}

	// WriteRead: the answer comes after the first deadline.
	c.SetDeadline(time.Now().Add(30 * time.Millisecond))
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		in := make([]byte, 5)
		io.ReadFull(b, in)
		time.Sleep(150 * time.Millisecond)
		b.Write([]byte("answer"))
	}()
	n, writing, err := c.WriteRead([]byte("hello"), buf)
	if err != nil || writing || string(buf[:n]) != "answer" {
		t.Fatalf("WriteRead past the earlier deadline = %q, %v, %v", buf[:n], writing, err)
	}

	// A peek after the socket's deadline fired unseen.
	c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	time.Sleep(50 * time.Millisecond)
	if !c.Quiet() {
		t.Fatal("a silent connection is not Quiet once the socket's earlier deadline fired")
	}

	// Settle: the socket itself holds the deadline asked for.
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	c.Settle()
	go func() { time.Sleep(150 * time.Millisecond); b.Write([]byte("y")) }()
	if n, err := a.Read(buf); err != nil || string(buf[:n]) != "y" {
		t.Fatalf("the socket's own Read after Settle = %q, %v", buf[:n], err)
	}

	// A write that waits for room, the peer reading nothing.
	c.SetWriteDeadline(time.Now().Add(30 * time.Millisecond))
	start = time.Now()
	c.SetWriteDeadline(start.Add(200 * time.Millisecond))
	_, err = c.Write(make([]byte, 64<<20))
	if waited := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || waited < 195*time.Millisecond {
		t.Fatalf("Write = %v after %v, want a timeout at the second deadline (200ms)", err, waited)
	}
}

// TestConnDeadlinesAllocateNothing: moving the deadlines, as every
// request does, allocates nothing.
func TestConnDeadlinesAllocateNothing(t *testing.T) {
	a, _ := pair(t)
	c := newConn(t, a)
	now := time.Now()
	allocs := testing.AllocsPerRun(200, func() {
		now = now.Add(time.Millisecond)
		c.SetDeadline(now.Add(time.Minute))
		c.SetReadDeadline(now.Add(time.Minute))
	})
	if allocs != 0 {
		t.Fatalf("SetDeadline allocates %.1f times; want 0", allocs)
	}
}
