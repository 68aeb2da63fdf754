package pipe

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/sock"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair returns the two ends of a loopback TCP connection.
func pair(t testing.TB) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// buffered hides the *net.TCPConn type, so the relay copies through a
// buffer (as it does for TLS connections); CloseWrite is still there.
type buffered struct{ *net.TCPConn }

// setup is client ⇄ (a relay b) ⇄ server; it returns the client's and the
// server's ends and the relay's result channel.
func setup(t testing.TB, idle time.Duration, wrap bool) (client, server *net.TCPConn, done chan Result) {
	client, a := pair(t)
	b, server := pair(t)
	var ca, cb net.Conn = a, b
	if wrap {
		ca, cb = buffered{a}, buffered{b}
	}
	done = make(chan Result, 1)
	go func() {
		res := Run(Side{Conn: ca, Idle: idle}, Side{Conn: cb, Idle: idle})
		a.Close()
		b.Close()
		done <- res
	}()
	return client, server, done
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// TestBothWaysAndHalfClose sends a stream each way, half-closing each
// direction in turn: the other direction keeps working, and the relay
// ends cleanly once both are done.
func TestBothWaysAndHalfClose(t *testing.T) {
	for _, wrap := range []bool{false, true} {
		client, server, done := setup(t, 5*time.Second, wrap)
		up, down := pattern(3<<20), pattern(5<<20+17)
		go func() { client.Write(up); client.CloseWrite() }()
		got, err := io.ReadAll(server) // ends at the relayed half-close
		if err != nil || !bytes.Equal(got, up) {
			t.Fatalf("wrap=%v: upstream %d bytes, err %v", wrap, len(got), err)
		}
		// The server still talks after the client's half-close.
		go func() { server.Write(down); server.CloseWrite() }()
		got, err = io.ReadAll(client)
		if err != nil || sha256.Sum256(got) != sha256.Sum256(down) {
			t.Fatalf("wrap=%v: downstream %d bytes, err %v", wrap, len(got), err)
		}
		res := <-done
		if res.Err != nil || res.AToB != int64(len(up)) || res.BToA != int64(len(down)) || res.By != 0 {
			t.Fatalf("wrap=%v: %+v, want a's end first", wrap, res)
		}
	}
}

// TestIdle: a relay where nothing moves ends after its timeout, closing
// both connections; traffic keeps it alive past the timeout.
func TestIdle(t *testing.T) {
	for _, wrap := range []bool{false, true} {
		const idle = 200 * time.Millisecond
		client, server, done := setup(t, idle, wrap)
		// Keep it busy for 3 timeouts with a byte every idle/2.
		go func() {
			for range 6 {
				if _, err := client.Write([]byte{1}); err != nil {
					return
				}
				time.Sleep(idle / 2)
			}
		}()
		buf := make([]byte, 1)
		start := time.Now()
		for range 6 {
			if _, err := io.ReadFull(server, buf); err != nil {
				t.Fatalf("wrap=%v: relay ended while busy after %v: %v", wrap, time.Since(start), err)
			}
		}
		last := time.Now()
		res := <-done
		took := time.Since(last)
		if !errors.Is(res.Err, ErrIdle) {
			t.Fatalf("wrap=%v: %+v, want ErrIdle", wrap, res)
		}
		if took < idle-idle/4 || took > 3*idle {
			t.Errorf("wrap=%v: ended %v after the last byte, want about %v", wrap, took, idle)
		}
		// Both ends see the close.
		for _, c := range []*net.TCPConn{client, server} {
			c.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := c.Read(buf); err == nil || isTimeout(err) {
				t.Errorf("wrap=%v: a side is still open: %v", wrap, err)
			}
		}
	}
}

// TestPeerDies: when one side goes away mid-stream, the other gets every
// byte sent before, then the end of stream.
func TestPeerDies(t *testing.T) {
	client, server, done := setup(t, 5*time.Second, false)
	msg := pattern(1 << 20)
	go func() { server.Write(msg); server.Close() }()
	got, err := io.ReadAll(client)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	client.Close()
	if res := <-done; res.Err != nil || res.By != 1 {
		t.Errorf("%+v, want b's end first", res)
	}
}

// TestWriteStall: a receiver that takes nothing for its timeout ends the
// relay even though the sender is busy.
func TestWriteStall(t *testing.T) {
	client, _, done := setup(t, 300*time.Millisecond, false)
	go func() {
		buf := pattern(64 << 10)
		for {
			if _, err := client.Write(buf); err != nil {
				return
			}
		}
	}()
	select {
	case res := <-done:
		if !errors.Is(res.Err, ErrIdle) {
			t.Fatalf("%+v, want ErrIdle", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("relay still running with a stalled receiver")
	}
}

// BenchmarkRelay measures the relay of a 1 MiB write through
// client ⇄ relay ⇄ server (splice on Linux); allocs/op should be 0 in
// steady state.
func BenchmarkRelay(b *testing.B) {
	for _, wrap := range []bool{false, true} {
		name := "splice"
		if wrap {
			name = "buffered"
		}
		b.Run(name, func(b *testing.B) {
			client, server, done := setup(b, time.Minute, wrap)
			msg := pattern(1 << 20)
			sink := make(chan int64)
			go func() {
				n, _ := io.Copy(io.Discard, struct{ io.Reader }{server})
				sink <- n
			}()
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			client.CloseWrite()
			if n := <-sink; n != int64(b.N)*int64(len(msg)) {
				b.Fatalf("got %d bytes", n)
			}
			server.CloseWrite()
			<-done
		})
	}
}

// echo copies everything c reads back to it until the end of stream.
func echo(c *net.TCPConn) {
	buf := make([]byte, 4<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			c.CloseWrite()
			return
		}
	}
}

// TestSmallMessages: messages of many sizes below the copy buffer, each
// echoed back through the relay (the readiness callback passes them on),
// arrive whole and in order, and the relay counts every byte.
func TestSmallMessages(t *testing.T) {
	client, server, done := setup(t, time.Minute, false)
	go echo(server)
	var sent int64
	got := make([]byte, copyBuf)
	for i := range 2000 {
		msg := pattern(1 + (i*97)%(copyBuf-1))
		msg[0] = byte(i)
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, got[:len(msg)]); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(got[:len(msg)], msg) {
			t.Fatalf("message %d (%d bytes) came back changed", i, len(msg))
		}
		sent += int64(len(msg))
	}
	client.CloseWrite()
	if n, err := io.Copy(io.Discard, client); n != 0 || err != nil {
		t.Fatalf("after the end: %d bytes, %v", n, err)
	}
	res := <-done
	if res.Err != nil || res.AToB != sent || res.BToA != sent {
		t.Fatalf("%+v, want %d bytes each way and no error", res, sent)
	}
}

// TestShortCallbackWrites: when the destination takes only part of a
// message from the readiness callback's write, the blocking loop writes
// the rest, once: every message still comes back whole.
func TestShortCallbackWrites(t *testing.T) {
	writeFD = func(fd uintptr, p []byte) (int, bool, error) {
		return sock.WriteFD(fd, p[:min(len(p), 7)])
	}
	defer func() { writeFD = sock.WriteFD }()
	TestSmallMessages(t)
}

// BenchmarkMessages measures a 64-byte message and its echo through
// client ⇄ relay ⇄ echo server; allocs/op should be 0.
func BenchmarkMessages(b *testing.B) {
	client, server, done := setup(b, time.Minute, false)
	go echo(server)
	msg, got := pattern(64), make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(client, got); err != nil {
			b.Fatal(err)
		}
	}
	client.CloseWrite()
	io.Copy(io.Discard, client)
	<-done
}

// TestOneBufferPerWakeup: the readiness callback takes one buffer from the
// pool per wake-up, not one per read (a message and the read that finds
// the socket empty share it), and every buffer taken is given back.
func TestOneBufferPerWakeup(t *testing.T) {
	var takes, gives atomic.Int64
	takeBuf = func() *[]byte { takes.Add(1); return copyBufs.Get().(*[]byte) }
	giveBuf = func(b *[]byte) { gives.Add(1); copyBufs.Put(b) }
	defer func() {
		takeBuf = func() *[]byte { return copyBufs.Get().(*[]byte) }
		giveBuf = func(b *[]byte) { copyBufs.Put(b) }
	}()
	client, server, done := setup(t, time.Minute, false)
	go echo(server)
	const n = 500
	msg, got := pattern(64), make([]byte, 64)
	for i := range n {
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, got); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	client.CloseWrite()
	io.Copy(io.Discard, client)
	if res := <-done; res.Err != nil || res.AToB != n*64 || res.BToA != n*64 {
		t.Fatalf("%+v, want %d bytes each way", res, n*64)
	}
	// A message wakes each direction once; a few wake-ups more at the start
	// and the end. A take per read would be 4 per message.
	if tk := takes.Load(); tk > 2*n+20 {
		t.Errorf("%d buffers taken for %d messages, want at most %d", tk, n, 2*n+20)
	}
	if tk, gv := takes.Load(), gives.Load(); tk != gv {
		t.Errorf("%d buffers taken, %d given back", tk, gv)
	}
}

// TestBusyCallbackIsActivity: a readiness callback that never finds its
// socket empty (here every read is cut to 100 bytes while the client keeps
// writing for 5 timeouts) never returns to record its activity; it records
// it every markEvery writes, so the relay, silent the other way, does not
// end as idle.
func TestBusyCallbackIsActivity(t *testing.T) {
	readFD = func(q *sock.Inq, fd uintptr, p []byte) (int, int, bool, error) { return readRest(q, fd, p[:100]) }
	defer func() { readFD = readRest }()
	const idle = 200 * time.Millisecond
	client, server, done := setup(t, idle, false)
	drained := make(chan struct{})
	go func() { io.Copy(io.Discard, server); server.CloseWrite(); close(drained) }()
	buf := pattern(4 << 10)
	for end := time.Now().Add(5 * idle); time.Now().Before(end); {
		if _, err := client.Write(buf); err != nil {
			t.Fatalf("the relay ended while busy: %v", err)
		}
	}
	client.CloseWrite()
	<-drained
	if res := <-done; res.Err != nil {
		t.Fatalf("%+v, want both ends relayed and no error", res)
	}
}

// TestCloseEndsABusyCallback: closing the source of a direction whose
// readiness callback never finds its socket empty (reads cut to 100 bytes
// while the client writes on) returns at once, as a hard stop does
// (net.Conn.Close waits for a callback in progress): the callback checks
// every markEvery writes that its source is open. The client would write
// for 3 s; before the check, Close took 0.5 to 3 s (5 runs).
func TestCloseEndsABusyCallback(t *testing.T) {
	readFD = func(q *sock.Inq, fd uintptr, p []byte) (int, int, bool, error) { return readRest(q, fd, p[:100]) }
	defer func() { readFD = readRest }()
	client, a := pair(t)
	b, server := pair(t)
	done := make(chan Result, 1)
	go func() { done <- Run(Side{Conn: a}, Side{Conn: b}) }()
	go io.Copy(io.Discard, server)
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		buf := pattern(4 << 10)
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
			if _, err := client.Write(buf); err != nil {
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // the callback is busy by now
	start := time.Now()
	a.Close()
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Close took %v while the client kept writing", d)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the relay did not end after its source was closed")
	}
	client.Close()
	<-writing
}
