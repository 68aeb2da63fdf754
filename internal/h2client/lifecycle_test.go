package h2client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// TestIdleTimeout: Config.IdleTimeout closes a connection that has had
// no stream for that long (the server sees it closed, Err is ErrClosed);
// a connection with a stream open stays open well past it (three times
// over, while its handler waits), and closes once the stream is closed.
func TestIdleTimeout(t *testing.T) {
	srv, release, _ := blocking(t)
	cfg := h2client.Config{IdleTimeout: 200 * time.Millisecond}

	c := dial(t, srv.Addr, cfg)
	if h, _, err := roundTrip(c, get("/")); err != nil || h.Status != 200 {
		t.Fatalf("request: %v %v", h, err)
	}
	testwait.For(t, "the idle connection closed", func() bool { return c.State().Closed })
	testwait.For(t, "the server saw it closed", func() bool { return srv.count(http.StateClosed) == 1 })
	if err := c.Err(); !errors.Is(err, h2client.ErrClosed) {
		t.Errorf("Err: %v, want ErrClosed", err)
	}

	c = dial(t, srv.Addr, cfg)
	s := open(t, c, bounded(t), get("/block"))
	if _, err := s.Head(3 * cfg.IdleTimeout); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Head while the handler waits: %v", err)
	}
	if st := c.State(); st.Closed || srv.count(http.StateClosed) != 1 {
		t.Fatalf("the connection with a stream open closed: %+v", st)
	}
	close(release)
	if h, err := s.Head(testwait.Bound); err != nil || h.Status != 200 {
		t.Fatalf("Head once released: %v, %v", h, err)
	}
	if _, err := io.ReadAll(s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	testwait.For(t, "the connection closed after its stream", func() bool { return c.State().Closed })
	testwait.For(t, "the server saw it closed", func() bool { return srv.count(http.StateClosed) == 2 })
}

// TestDrain: Drain stops a connection taking streams (Reserve refuses,
// State says Closing) but lets its open stream complete, then closes it
// once that stream is closed; a connection with no stream closes at once.
func TestDrain(t *testing.T) {
	srv, release, _ := blocking(t)

	c := dial(t, srv.Addr, h2client.Config{})
	s := open(t, c, bounded(t), get("/block"))
	c.Drain()
	if c.Reserve() {
		t.Fatal("Reserve took a stream on a draining connection")
	}
	if st := c.State(); !st.Closing || st.Closed || st.Streams != 1 {
		t.Errorf("state while draining %+v, want Closing with 1 stream", st)
	}
	close(release)
	h, err := s.Head(testwait.Bound)
	if err != nil || h.Status != 200 {
		t.Fatalf("Head of the draining stream: %v, %v", h, err)
	}
	if _, err := io.ReadAll(s); err != nil {
		t.Fatal(err)
	}
	if c.State().Closed {
		t.Fatal("the connection closed before its stream was closed")
	}
	s.Close()
	testwait.For(t, "the drained connection closed", func() bool { return c.State().Closed })
	testwait.For(t, "the server saw it closed", func() bool { return srv.count(http.StateClosed) == 1 })

	c = dial(t, srv.Addr, h2client.Config{})
	c.Drain()
	if !c.State().Closed {
		t.Error("Drain of a connection with no stream left it open")
	}
	testwait.For(t, "the server saw it closed", func() bool { return srv.count(http.StateClosed) == 2 })
}

// TestTinyTimeouts: timeouts so short that their timers fire while New
// is still setting up (1 ns) close the connection, without a panic or a
// data race on the timers (with -race).
func TestTinyTimeouts(t *testing.T) {
	for range 100 {
		c, _ := dialFake(t, h2client.Config{IdleTimeout: time.Nanosecond, PingAfter: time.Nanosecond})
		testwait.For(t, "the connection closed", func() bool { return c.State().Closed })
	}
}
