package h2client_test

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestHeadersFlushedTogether: the HEADERS of requests opened one after
// the other without the opener yielding go to the backend in one write
// (the flusher runs once the runnable goroutines had their turn), and
// each request is answered. With one P the flusher cannot run before the
// opener blocks, so the count is exact; before the flusher each Open
// made a write of its own (10 here).
func TestHeadersFlushedTogether(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil)
	nc, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: nc}
	c, err := h2client.New(cc, h2client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ready(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	// The SETTINGS acknowledgement goes out by itself: wait for it.
	testwait.For(t, "the SETTINGS acknowledged", func() bool { return cc.writes.Load() >= 2 })
	before := cc.writes.Load()
	const n = 10
	streams := make([]*h2client.Stream, n)
	for i := range streams {
		streams[i] = open(t, c, bounded(t), get(fmt.Sprintf("/%d", i)))
	}
	for i, s := range streams {
		h, err := s.Head(testwait.Bound)
		if err != nil || h.Status != 200 {
			t.Fatalf("stream %d: %v, %v", i, h, err)
		}
		s.Close()
	}
	if got := cc.writes.Load() - before; got != 1 {
		t.Errorf("%d requests opened at once took %d writes, want 1", n, got)
	}
}
