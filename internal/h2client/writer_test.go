package h2client_test

// Writes stuck on a backend that reads nothing, while they hold the
// writers' lock.

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
)

// newTight is newFake on sockets with small buffers (the client's to
// send, the backend's to receive), so that a request head of a few MiB
// the backend does not read blocks the client's write.
func newTight(t *testing.T) (*h2client.Conn, *fake) {
	return newTightWith(t, h2client.Config{})
}

func newTightWith(t *testing.T, cfg h2client.Config) (*h2client.Conn, *fake) {
	t.Helper()
	c, f := dialFakeTuned(t, cfg, func(client, backend *net.TCPConn) {
		if client.SetWriteBuffer(64<<10) != nil || backend.SetReadBuffer(16<<10) != nil {
			t.Fatal("setting the socket buffers")
		}
	})
	f.fr.MaxHeaderListSize = 16 << 20
	if err := f.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	return c, f
}

// bigHead is a GET with a 4 MiB field.
func bigHead() *h2client.Request {
	r := get("/")
	r.Fields = fields("x-big", strings.Repeat("v", 4<<20))
	return r
}

// TestCloseStuckWrite: Close closes the connection at once even while a
// write is stuck because the backend stopped reading (here an Open whose
// 4 MiB head cannot fit in the sockets' buffers): it does not wait for
// the write, which fails, and Open with it.
func TestCloseStuckWrite(t *testing.T) {
	c, f := newTight(t)
	req := bigHead()
	if !c.Reserve() {
		t.Fatal("Reserve refused")
	}
	opened := make(chan error, 1)
	go func() {
		s, err := c.Open(bounded(t), req)
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	// Open registers its stream while it holds the writers' lock, then
	// writes the head, which never ends: the backend reads nothing.
	testwait.For(t, "Open writing", func() bool { return c.State().Streams == 1 })

	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(testwait.Bound):
		f.nc.Close() // the write fails, so that the goroutines end
		<-closed
		t.Fatalf("Close still waited after %v for a stuck write", testwait.Bound)
	}
	if err := recv(t, "Open to fail", opened); !errors.Is(err, h2client.ErrUnprocessed) {
		t.Errorf("Open: %v, want a failure, ErrUnprocessed", err)
	}
	if !c.State().Closed {
		t.Error("the connection is not closed")
	}
}

// openWaitingForLock reports whether a goroutine is in Conn.Open, waiting
// for a mutex (the writers' lock: Open takes no other that another holds
// for long).
func openWaitingForLock() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("h2client.(*Conn).Open(")) && bytes.Contains(g, []byte("sync.(*Mutex).Lock")) {
			return true
		}
	}
	return false
}

// TestWriteFlushedForWaiter: a writer that leaves its frames unflushed
// for a writer waiting for the lock (so that both go out in one write)
// gets them flushed even when that writer ends up writing nothing. Here
// a GOAWAY (last stream 1) comes while stream 1's large head is being
// written, and a second Open waits behind it: that Open fails (the
// backend takes no new stream), and stream 1's head must still reach the
// backend whole, which answers it.
func TestWriteFlushedForWaiter(t *testing.T) {
	c, f := newTight(t)
	if !c.Reserve() || !c.Reserve() {
		t.Fatal("Reserve refused")
	}
	req := bigHead()
	type opened struct {
		s   *h2client.Stream
		err error
	}
	first, second := make(chan opened, 1), make(chan opened, 1)
	go func() {
		s, err := c.Open(bounded(t), req)
		first <- opened{s, err}
	}()
	// The backend reads nothing yet: the head stays being written.
	testwait.For(t, "stream 1 writing", func() bool { return c.State().Streams == 1 })
	f.fr.WriteGoAway(1, http2.ErrCodeNo, nil)
	testwait.For(t, "the GOAWAY taken", func() bool { return c.State().Closing })
	go func() {
		s, err := c.Open(bounded(t), get("/second"))
		second <- opened{s, err}
	}()
	testwait.For(t, "the second Open waiting for the writers' lock", openWaitingForLock)

	// The backend reads now (with a large buffer, not to take long),
	// letting stream 1's head go on.
	if err := f.nc.(*net.TCPConn).SetReadBuffer(4 << 20); err != nil {
		t.Fatal(err)
	}
	head := f.request()
	if head.StreamID != 1 || len(head.RegularFields()) != 1 {
		t.Fatalf("the backend got stream %d with %d fields", head.StreamID, len(head.RegularFields()))
	}
	o := recv(t, "the first Open", first)
	if o.err != nil {
		t.Fatal(o.err)
	}
	defer o.s.Close()
	if o2 := recv(t, "the second Open", second); !errors.Is(o2.err, h2client.ErrUnprocessed) {
		t.Errorf("the second Open: %v, want ErrUnprocessed", o2.err)
		if o2.s != nil {
			o2.s.Close()
		}
	}
	f.head(1, true, ":status", "204")
	if h, err := o.s.Head(testwait.Bound); err != nil || h.Status != 204 {
		t.Errorf("stream 1's Head: %v, %v", h, err)
	}
}

// TestWriteTimeout: a write stuck on a backend that stopped reading fails
// the connection after Config.WriteTimeout (here 200 ms; at most twice
// it), and the Open that wrote fails with it, while nobody closes the
// connection: without the deadline the write would wait for ever.
func TestWriteTimeout(t *testing.T) {
	c, _ := newTightWith(t, h2client.Config{WriteTimeout: 200 * time.Millisecond})
	defer c.Close()
	if !c.Reserve() {
		t.Fatal("Reserve refused")
	}
	opened := make(chan error, 1)
	go func() {
		s, err := c.Open(bounded(t), bigHead())
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	if err := recv(t, "Open to fail on its write's deadline", opened); !errors.Is(err, h2client.ErrUnprocessed) {
		t.Errorf("Open: %v, want a failure, ErrUnprocessed", err)
	}
	if st := c.State(); !st.Closed {
		t.Errorf("state after the stuck write: %+v, want closed", st)
	}
	var ne net.Error
	if err := c.Err(); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("the connection's error: %v, want a write timeout", err)
	}
}
