package sock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return dialAccepted(t, ln.Addr().String(), ln.Accept)
}

// dialAccepted dials addr while accept takes the connection, and returns
// both ends; the test's cleanup closes them.
func dialAccepted[C io.Closer](t *testing.T, addr string, accept func() (C, error)) (net.Conn, C) {
	t.Helper()
	type res struct {
		c   C
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := accept(); ch <- res{c, err} }()
	client, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		client.Close()
		t.Fatal(r.err)
	}
	t.Cleanup(func() { client.Close(); r.c.Close() })
	return client, r.c
}

// reset closes the peer b with an RST (linger 0) and lets it arrive.
func reset(b net.Conn) {
	b.(*net.TCPConn).SetLinger(0)
	b.Close()
	time.Sleep(20 * time.Millisecond)
}

func newConn(t *testing.T, nc net.Conn) *Conn {
	t.Helper()
	var c Conn
	if !c.Init(nc) {
		if !supported {
			t.Skip("no raw socket calls on " + runtime.GOOS)
		}
		t.Fatal("Init refused a TCP connection")
	}
	return &c
}

func TestReadWrite(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	if n, err := c.Write([]byte("ping")); n != 4 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	buf := make([]byte, 16)
	if _, err := io.ReadFull(b, buf[:4]); err != nil || string(buf[:4]) != "ping" {
		t.Fatalf("peer read %q, %v", buf[:4], err)
	}
	go b.Write([]byte("pong"))
	n, err := c.Read(buf) // waits in the poller: nothing is there yet, or it is
	if err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	if n, err := c.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", n, err)
	}
	b.Close()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the peer closed = %d, %v; want 0, EOF", n, err)
	}
}

func TestReadDeadline(t *testing.T) {
	a, _ := pair(t)
	c := newConn(t, a)
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	n, err := c.Read(make([]byte, 8))
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past its deadline = %d, %v; want a deadline error", n, err)
	}
}

func TestCloseWakesRead(t *testing.T) {
	a, _ := pair(t)
	c := newConn(t, a)
	done := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); done <- err }()
	time.Sleep(10 * time.Millisecond) // let it wait in the poller (the test passes either way)
	a.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read on a closed conn = %v; want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake a waiting Read")
	}
}

func TestReadError(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	reset(b)
	_, err := c.Read(make([]byte, 8))
	var op *net.OpError
	if !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &op) || op.Op != "read" {
		t.Fatalf("Read after a reset = %v; want a read *net.OpError for ECONNRESET", err)
	}
}

func TestWriteWaitsForRoom(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB, more than any socket buffer
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(20 * time.Millisecond) // the writer fills the buffer and waits
		p, _ := io.ReadAll(io.LimitReader(b, int64(len(big))))
		got <- p
	}()
	n, err := c.Write(big)
	if n != len(big) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(big))
	}
	if p := <-got; !bytes.Equal(p, big) {
		t.Fatalf("peer read %d bytes, not what was written", len(p))
	}
}

// WriteTwo sends both parts in order, whole, whichever of them fills the
// socket's send buffer.
func TestWriteTwo(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	for _, tc := range []struct {
		name string
		a, b []byte
	}{
		{"small parts", []byte("HTTP/1.1 200 OK\r\n\r\n"), []byte("body")},
		{"big second part", []byte("head"), big},
		{"big first part", big, []byte("tail")},
		{"empty second part", []byte("alone"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := pair(t)
			c := newConn(t, a)
			want := append(append([]byte(nil), tc.a...), tc.b...)
			got := make(chan []byte, 1)
			go func() {
				time.Sleep(20 * time.Millisecond) // a big write fills the buffer and waits
				p, _ := io.ReadAll(io.LimitReader(b, int64(len(want))))
				got <- p
			}()
			n, err := c.WriteTwo(tc.a, tc.b)
			if n != len(want) || err != nil {
				t.Fatalf("WriteTwo = %d, %v; want %d, nil", n, err, len(want))
			}
			if p := <-got; !bytes.Equal(p, want) {
				t.Fatalf("peer read %d bytes, not what was written (%d)", len(p), len(want))
			}
			// The call state is clean for the next Write.
			go func() { p, _ := io.ReadAll(io.LimitReader(b, 3)); got <- p }()
			if n, err := c.Write([]byte("end")); n != 3 || err != nil {
				t.Fatalf("Write after WriteTwo = %d, %v", n, err)
			}
			if p := <-got; string(p) != "end" {
				t.Fatalf("peer read %q after WriteTwo; want \"end\"", p)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	reset(b)
	var err error
	for i := 0; i < 100 && err == nil; i++ { // the first write may still succeed
		_, err = c.Write([]byte("x"))
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "write" {
		t.Fatalf("Write to a reset connection = %v; want a write *net.OpError", err)
	}
}

// server answers each request it reads (a line) with "ok:" + the line, the
// way an HTTP server answers only what it was asked.
func server(t *testing.T, b net.Conn, size int) {
	go func() {
		buf := make([]byte, size)
		if _, err := io.ReadFull(b, buf); err != nil {
			return
		}
		b.Write(append([]byte("ok:"), buf[:min(size, 8)]...))
	}()
}

func TestWriteRead(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	for i := 0; i < 3; i++ {
		server(t, b, 5)
		in := make([]byte, 64)
		n, writing, err := c.WriteRead([]byte("req-1"), in)
		if err != nil || writing || string(in[:n]) != "ok:req-1" {
			t.Fatalf("WriteRead = %q, %v, %v", in[:n], writing, err)
		}
	}
}

func TestWriteReadLargeRequest(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	out := bytes.Repeat([]byte("r"), 8<<20) // fills the send buffer: the stuck path
	server(t, b, len(out))
	in := make([]byte, 64)
	n, writing, err := c.WriteRead(out, in)
	if err != nil || writing || string(in[:n]) != "ok:rrrrrrrr" {
		t.Fatalf("WriteRead = %q, %v, %v", in[:n], writing, err)
	}
}

func TestWriteReadTimeout(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	go io.Copy(io.Discard, b) // reads, never answers
	a.SetDeadline(time.Now().Add(30 * time.Millisecond))
	n, writing, err := c.WriteRead([]byte("hello"), make([]byte, 8))
	if n != 0 || writing || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("WriteRead with no answer = %d, %v, %v; want 0, false, deadline error", n, writing, err)
	}
}

func TestWriteReadClosedPeer(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	b.Close() // FIN: the write goes out, the answer is EOF (or a reset)
	time.Sleep(10 * time.Millisecond)
	n, writing, err := c.WriteRead([]byte("hello"), make([]byte, 8))
	if n != 0 || err == nil {
		t.Fatalf("WriteRead to a closed peer = %d, %v, %v; want an error", n, writing, err)
	}
	if !writing && err != io.EOF {
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Fatalf("WriteRead error %v is neither EOF nor a *net.OpError", err)
		}
	}
}

func TestEarlyBytesStillRead(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	b.Write([]byte("early")) // sent before the request: read with the answer
	time.Sleep(10 * time.Millisecond)
	server(t, b, 3)
	in := make([]byte, 64)
	got := 0
	n, _, err := c.WriteRead([]byte("abc"), in)
	for got += n; err == nil && got < len("earlyok:abc"); got += n {
		n, err = c.Read(in[got:])
	}
	if err != nil || string(in[:got]) != "earlyok:abc" {
		t.Fatalf("read %q, %v; want the early bytes and the answer", in[:got], err)
	}
}

func TestConcurrentReadWrite(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	go io.Copy(b, b) // echo
	const rounds = 200
	msg := []byte("0123456789")
	done := make(chan error, 1)
	go func() {
		for i := 0; i < rounds; i++ {
			if _, err := c.Write(msg); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	buf := make([]byte, 64)
	total := 0
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	for total < rounds*len(msg) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", total, err)
		}
		total += n
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFallback: on a connection without a descriptor (a net.Pipe, like a
// TLS connection) Init makes no raw calls, and the Conn reads, writes and
// exchanges through the net.Conn itself.
func TestFallback(t *testing.T) {
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	var c Conn
	if c.Init(p) || c.Ready() {
		t.Fatal("Init made raw calls on a net.Pipe, which has no descriptor")
	}
	go func() {
		buf := make([]byte, 3)
		if _, err := io.ReadFull(q, buf); err == nil {
			q.Write(append([]byte("ok:"), buf...))
		}
	}()
	in := make([]byte, 16)
	got, writing, err := c.WriteRead([]byte("abc"), in)
	for err == nil && got < 6 {
		var n int
		n, err = c.Read(in[got:])
		got += n
	}
	if err != nil || writing || string(in[:got]) != "ok:abc" {
		t.Fatalf("WriteRead through the net.Conn = %q, %v, %v", in[:got], writing, err)
	}
	c.Shutdown() // nothing to do without raw calls; must not fail
	go io.Copy(io.Discard, q)
	if n, err := c.Write([]byte("more")); n != 4 || err != nil {
		t.Fatalf("Write through the net.Conn = %d, %v", n, err)
	}
	if n, err := c.WriteTwo([]byte("two "), []byte("parts")); n != 9 || err != nil {
		t.Fatalf("WriteTwo through the net.Conn = %d, %v", n, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	go io.Copy(b, b) // echo
	msg, buf := []byte("0123456789"), make([]byte, 64)
	readRest := func(got int) {
		for got < len(msg) {
			n, err := c.Read(buf[got:])
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		readRest(0)
		if _, err := c.WriteTwo(msg[:4], msg[4:]); err != nil {
			t.Fatal(err)
		}
		readRest(0)
		n, _, err := c.WriteRead(msg, buf)
		if err != nil {
			t.Fatal(err)
		}
		readRest(n)
	})
	if allocs != 0 {
		t.Fatalf("Read, Write, WriteTwo and WriteRead allocate %.1f times per call set; want 0", allocs)
	}
}

func TestQuiet(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	if !c.Quiet() {
		t.Fatal("a fresh, silent connection is not Quiet")
	}
	b.Write([]byte("x"))
	time.Sleep(20 * time.Millisecond)
	if c.Quiet() {
		t.Fatal("a connection with an unread byte is Quiet")
	}
	buf := make([]byte, 1)
	if n, err := c.Read(buf); n != 1 || err != nil {
		t.Fatalf("Read after Quiet = %d, %v; the peek must leave the byte", n, err)
	}
	if !c.Quiet() {
		t.Fatal("not Quiet once the byte was read")
	}
	b.Close()
	time.Sleep(20 * time.Millisecond)
	if c.Quiet() {
		t.Fatal("a connection closed by its peer is Quiet")
	}
}

func TestShutdown(t *testing.T) {
	a, b := pair(t)
	c := newConn(t, a)
	c.Write([]byte("bye"))
	c.Shutdown()
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(b) // the FIN ends the stream after the bytes
	if err != nil || string(got) != "bye" {
		t.Fatalf("peer read %q, %v; want the bytes, then the end of the stream", got, err)
	}
	// Reading still works after a shutdown for writing.
	b.Write([]byte("ok"))
	buf := make([]byte, 4)
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "ok" {
		t.Fatalf("Read after Shutdown = %q, %v", buf[:n], err)
	}
}
