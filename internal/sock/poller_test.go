package sock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := NewPoller()
	if err == ErrUnsupported {
		t.Skip("no poller here")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestAwaitWakesOnBytes(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	buf := make([]byte, 16)
	if _, again, _ := c.TryRead(buf); !again {
		t.Fatal("TryRead found bytes on a silent connection")
	}
	go func() { time.Sleep(10 * time.Millisecond); b.Write([]byte("hi")) }()
	if err := c.Await(p, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("Await: %v", err)
	}
	n, again, err := c.TryRead(buf)
	for again && err == nil { // a wake may come before the bytes: wait again
		if err = c.Await(p, time.Now().Add(5*time.Second)); err == nil {
			n, again, err = c.TryRead(buf)
		}
	}
	if err != nil || string(buf[:n]) != "hi" {
		t.Fatalf("TryRead after the wake = %q, %v", buf[:n], err)
	}
}

func TestAwaitReadyBeforeRegister(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	b.Write([]byte("early"))
	time.Sleep(10 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- c.Await(p, time.Now().Add(5*time.Second)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("bytes there before Register did not count as ready")
	}
}

func TestAwaitDeadline(t *testing.T) {
	p := newPoller(t)
	a, _ := pair(t)
	c := newConn(t, a)
	start := time.Now()
	err := c.Await(p, start.Add(30*time.Millisecond))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Await past its deadline = %v; want os.ErrDeadlineExceeded", err)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Fatalf("Await returned after %v, before its deadline", took)
	}
	// The Waiter is usable again: a later wait sees later bytes.
	if err := c.Await(p, time.Now().Add(20*time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second wait = %v", err)
	}
}

func TestCloseWakesAwait(t *testing.T) {
	p := newPoller(t)
	a, _ := pair(t)
	c := newConn(t, a)
	done := make(chan error, 1)
	go func() { done <- c.Await(p, time.Time{}) }()
	time.Sleep(10 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if err != ErrClosed {
			t.Fatalf("Await on a closed Conn = %v; want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake Await")
	}
	if err := c.Await(p, time.Time{}); err != ErrClosed {
		t.Fatalf("Await after Close = %v; want ErrClosed", err)
	}
}

func TestPollerCloseWakesAll(t *testing.T) {
	p, err := NewPoller()
	if err == ErrUnsupported {
		t.Skip("no poller here")
	}
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	done := make(chan error, n)
	for i := 0; i < n; i++ {
		a, _ := pair(t)
		c := newConn(t, a)
		if err := p.Register(c); err != nil {
			t.Fatal(err)
		}
		go func() { done <- c.Await(p, time.Time{}) }()
	}
	time.Sleep(10 * time.Millisecond)
	p.Close()
	for i := 0; i < n; i++ {
		select {
		case err := <-done:
			if err != ErrClosed {
				t.Fatalf("waiter woken with %v; want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Poller.Close left a waiter asleep")
		}
	}
	a, _ := pair(t)
	if err := p.Register(newConn(t, a)); err != ErrClosed {
		t.Fatalf("Register on a closed Poller = %v", err)
	}
}

func TestEmpty(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	if c.Empty() {
		t.Fatal("Empty before any read or registration")
	}
	if err := p.Register(c); err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("abc"))
	buf := make([]byte, 16)
	var got []byte
	for len(got) < 3 {
		if err := c.Await(p, time.Now().Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		n, _, err := c.TryRead(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if !c.Empty() {
		t.Fatal("not Empty after a short read and no new bytes")
	}
	// A full read says nothing about what is left.
	b.Write([]byte("0123456789"))
	time.Sleep(10 * time.Millisecond)
	if _, _, err := c.TryRead(buf[:4]); err != nil {
		t.Fatal(err)
	}
	if c.Empty() {
		t.Fatal("Empty after a read that filled its buffer")
	}
	if n, _, _ := c.TryRead(buf); n != 6 {
		t.Fatalf("rest = %d bytes, want 6", n)
	}
	b.Write([]byte("more"))
	deadline := time.Now().Add(5 * time.Second)
	for c.Empty() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if c.Empty() {
		t.Fatal("still Empty after new bytes arrived")
	}
}

// echoServer answers each request (a 5-byte read) with "ok:" and the
// request, as an HTTP server answers what it was asked.
func echoServer(b net.Conn, size int) {
	go func() {
		buf := make([]byte, size)
		reply := make([]byte, 0, 8)
		for {
			if _, err := io.ReadFull(b, buf); err != nil {
				return
			}
			reply = append(append(reply[:0], "ok:"...), buf[:min(size, 5)]...)
			b.Write(reply)
		}
	}()
}

func TestWriteReadIn(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	echoServer(b, 5)
	in := make([]byte, 64)
	for i := 0; i < 50; i++ {
		n, writing, err := c.WriteReadIn(p, []byte("req-1"), in, time.Now().Add(5*time.Second))
		got := n
		for err == nil && got < 8 {
			n, err = c.Read(in[got:])
			got += n
		}
		if err != nil || writing || string(in[:got]) != "ok:req-1" {
			t.Fatalf("round %d: WriteReadIn = %q, %v, %v", i, in[:got], writing, err)
		}
	}
}

func TestWriteReadInLarge(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	out := bytes.Repeat([]byte("r"), 8<<20) // fills the send buffer
	echoServer(b, len(out))
	in := make([]byte, 64)
	n, writing, err := c.WriteReadIn(p, out, in, time.Now().Add(10*time.Second))
	if err != nil || writing || string(in[:n]) != "ok:rrrrr" {
		t.Fatalf("WriteReadIn = %q, %v, %v", in[:n], writing, err)
	}
}

func TestWriteReadInDeadline(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	go io.Copy(io.Discard, b) // never answers
	start := time.Now()
	n, writing, err := c.WriteReadIn(p, []byte("hello"), make([]byte, 8), start.Add(30*time.Millisecond))
	if n != 0 || writing || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("WriteReadIn with no answer = %d, %v, %v", n, writing, err)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("timed out before the deadline")
	}
}

func TestWriteReadInClosedPeer(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	b.Close()
	time.Sleep(10 * time.Millisecond)
	n, _, err := c.WriteReadIn(p, []byte("hello"), make([]byte, 8), time.Now().Add(5*time.Second))
	if n != 0 || err == nil {
		t.Fatalf("WriteReadIn to a closed peer = %d, %v; want an error", n, err)
	}
}

// TestManyWaiters: many connections waiting at once in one Poller, each
// woken for its own answers only.
func TestManyWaiters(t *testing.T) {
	p := newPoller(t)
	const conns, rounds = 50, 40
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := 0; i < conns; i++ {
		a, b := pair(t)
		c := newConn(t, a)
		echoServer(b, 5)
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := make([]byte, 64)
			for r := 0; r < rounds; r++ {
				n, _, err := c.WriteReadIn(p, []byte("abcde"), in, time.Now().Add(10*time.Second))
				for err == nil && n < 8 {
					var k int
					k, err = c.Read(in[n:])
					n += k
				}
				if err != nil || string(in[:n]) != "ok:abcde" {
					errs <- errors.New("bad answer " + string(in[:n]))
					return
				}
			}
			c.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestWaitNoAllocs(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	echoServer(b, 5)
	in, req := make([]byte, 64), []byte("req-1")
	allocs := testing.AllocsPerRun(100, func() {
		n, _, err := c.WriteReadIn(p, req, in, time.Now().Add(5*time.Second))
		for err == nil && n < 8 {
			var k int
			k, err = c.Read(in[n:])
			n += k
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("WriteReadIn allocates %.1f times per call; want 0", allocs)
	}
}

// TestEmptyAfterWake: a wake spends the readiness, so Empty must not
// claim the socket is empty until it has been read (a session that skips
// the read then would wait forever for bytes already there).
func TestEmptyAfterWake(t *testing.T) {
	p := newPoller(t)
	a, b := pair(t)
	c := newConn(t, a)
	buf := make([]byte, 16)
	if err := p.Register(c); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := c.TryRead(buf); !again {
		t.Fatal("bytes on a silent connection")
	}
	if !c.Empty() {
		t.Fatal("not Empty after a read that found nothing")
	}
	b.Write([]byte("x"))
	if err := c.Await(p, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if c.Empty() {
		t.Fatal("Empty right after a wake, before any read")
	}
}
