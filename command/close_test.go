package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// blocker is a handler that blocks every order until its context ends.
type blocker struct {
	started chan struct{} // one value per handler started
	ended   chan error    // ctx.Err() of each handler that returned
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 16), ended: make(chan error, 16)}
}

func (b *blocker) handle(ctx context.Context, o order.Order, progress command.Progress) order.Response {
	b.started <- struct{}{}
	<-ctx.Done()
	b.ended <- ctx.Err()
	return order.Response{Status: order.StatusError, Message: "cancelled"}
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// TestCloseWithBlockedHandlers: Close cancels the handlers' context, sends
// their final answers, closes the connections (idle ones too) and returns;
// a pipelined order not yet started is dropped. goleak checks that no
// goroutine is left.
func TestCloseWithBlockedHandlers(t *testing.T) {
	b := newBlocker()
	srv, err := command.Listen(t.TempDir() + "/s.sock")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(b.handle) }()
	busy1, busy2, idle := dialRaw(t, srv), dialRaw(t, srv), dialRaw(t, srv)
	busy1.send(`{"id":"1","kind":"status"}` + "\n")
	busy2.send(`{"id":"2","kind":"status"}` + "\n" + `{"id":"3","kind":"status"}` + "\n")
	receive(t, b.started, "handler 1")
	receive(t, b.started, "handler 2")

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	if err := receive(t, closed, "Close"); err != nil {
		t.Fatal(err)
	}
	if err := receive(t, served, "Serve"); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for range 2 {
		if err := receive(t, b.ended, "handler end"); !errors.Is(err, context.Canceled) {
			t.Errorf("handler ctx: %v", err)
		}
	}
	if len(b.started) != 0 {
		t.Error("the pipelined order was started after Close")
	}
	if got := busy1.line(); got != `{"id":"1","status":"error","message":"cancelled"}` {
		t.Errorf("busy1 got %s", got)
	}
	if got := busy2.line(); got != `{"id":"2","status":"error","message":"cancelled"}` {
		t.Errorf("busy2 got %s", got)
	}
	for _, r := range []*raw{busy1, busy2, idle} {
		r.c.SetReadDeadline(time.Now().Add(wait))
		if rest, err := r.r.ReadString('\n'); err == nil || rest != "" {
			t.Errorf("after Close a connection reads %q, %v; want EOF", rest, err)
		}
	}
	if _, err := command.Dial(srv.Path()); !errors.Is(err, command.ErrUnreachable) {
		t.Errorf("Dial after Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestClientGoneCancelsHandler: a client that closes its connection while
// its order runs cancels the handler's context.
func TestClientGoneCancelsHandler(t *testing.T) {
	b := newBlocker()
	srv := start(t, b.handle)
	r := dialRaw(t, srv)
	r.send(`{"id":"1","kind":"status"}` + "\n")
	receive(t, b.started, "handler")
	r.c.Close()
	if err := receive(t, b.ended, "handler end"); !errors.Is(err, context.Canceled) {
		t.Errorf("handler ctx: %v", err)
	}
}

// TestHalfCloseKeepsHandler: a client that only shuts down its writing side
// (socat at the end of its input) still gets its answer: the handler's
// context is not cancelled.
func TestHalfCloseKeepsHandler(t *testing.T) {
	srv := start(t, func(ctx context.Context, o order.Order, progress command.Progress) order.Response {
		select {
		case <-ctx.Done():
			return order.Response{Status: order.StatusError, Message: "cancelled"}
		case <-time.After(400 * time.Millisecond): // several hang-up checks
			return order.Response{Status: order.StatusOK}
		}
	})
	r := dialRaw(t, srv)
	r.send(`{"id":"h","kind":"status"}` + "\n")
	r.c.CloseWrite()
	if got := r.line(); got != `{"id":"h","status":"ok"}` {
		t.Error(got)
	}
}

// TestClientNotReading: a client that stops reading while its order streams
// progress is disconnected after WriteTimeout; the handler's context ends.
func TestClientNotReading(t *testing.T) {
	ended := make(chan error, 1)
	big := strings.Repeat("e", 64<<10)
	srv := start(t, func(ctx context.Context, o order.Order, progress command.Progress) order.Response {
		for ctx.Err() == nil {
			progress(big, nil)
		}
		ended <- ctx.Err()
		return order.Response{Status: order.StatusOK}
	}, func(s *command.Server) { s.WriteTimeout = 200 * time.Millisecond })
	r := dialRaw(t, srv)
	r.send(`{"id":"s","kind":"status"}` + "\n")
	if err := receive(t, ended, "the handler's end"); !errors.Is(err, context.Canceled) {
		t.Errorf("handler ctx: %v", err)
	}
}
