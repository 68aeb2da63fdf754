package h2client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
)

// blocking is a net/http h2c server whose "/block" handler sends its head
// (when it is "/block?head") and a first body chunk, then waits until
// release is closed or its request is cancelled, reporting which on
// cancelled; other paths answer "ok".
func blocking(t *testing.T) (srv *h2cServer, release chan struct{}, cancelled chan bool) {
	release = make(chan struct{})
	cancelled = make(chan bool, 8)
	srv = newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/block" {
			io.WriteString(w, "ok")
			return
		}
		if r.URL.RawQuery == "head" {
			io.WriteString(w, "first")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
			cancelled <- false
		case <-r.Context().Done():
			cancelled <- true
		}
	}), nil)
	return srv, release, cancelled
}

// TestHeadTimeout: Head gives up after its timeout with an error that is
// context.DeadlineExceeded while the handler has not answered; the
// stream is then closed (the handler sees its request cancelled) and the
// connection serves the next request.
func TestHeadTimeout(t *testing.T) {
	srv, release, cancelled := blocking(t)
	defer close(release)
	c := dial(t, srv.Addr, h2client.Config{})
	s := open(t, c, bounded(t), get("/block"))
	start := time.Now()
	_, err := s.Head(100 * time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Head: %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("Head gave up after %v, before its timeout", took)
	}
	s.Close()
	if !recv(t, "the handler to end", cancelled) {
		t.Error("the handler was released, not cancelled")
	}
	if h, body, err := roundTrip(c, get("/next")); err != nil || h.Status != 200 || string(body) != "ok" {
		t.Errorf("next request: %v %q %v", h, body, err)
	}
}

// TestContextCancel: the end of the stream's context ends a Head and a
// Read that wait, with its error.
func TestContextCancel(t *testing.T) {
	srv, release, _ := blocking(t)
	defer close(release)
	c := dial(t, srv.Addr, h2client.Config{})

	ctx, cancel := context.WithCancel(context.Background())
	s := open(t, c, ctx, get("/block"))
	go cancel()
	if _, err := s.Head(testwait.Bound); !errors.Is(err, context.Canceled) {
		t.Errorf("Head: %v, want context.Canceled", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	s = open(t, c, ctx, get("/block?head"))
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, len("first"))); err != nil {
		t.Fatal(err)
	}
	go cancel()
	if _, err := s.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("Read: %v, want context.Canceled", err)
	}
}

// TestCloseMidBody: closing a stream whose body is still coming resets it
// (the handler sees its request cancelled), and the connection serves the next request; the window the
// dropped data took on the connection is given back (a 20 MiB response
// after, beyond the connection's 16 MiB window, comes whole).
func TestCloseMidBody(t *testing.T) {
	big := make([]byte, 20<<20)
	cancelled := make(chan bool, 1)
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		for {
			if _, err := w.Write(make([]byte, 32<<10)); err != nil {
				break
			}
		}
		cancelled <- r.Context().Err() != nil
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{StreamWindow: 65535})
	s := open(t, c, bounded(t), get("/endless"))
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	select {
	case ok := <-cancelled:
		if !ok {
			t.Error("the handler's writes failed without its request cancelled")
		}
	case <-time.After(testwait.Bound):
		t.Fatal("the handler still writes after the stream was closed")
	}
	h, body, err := roundTrip(c, get("/big"))
	if err != nil || h.Status != 200 || len(body) != len(big) {
		t.Errorf("next request: %v, %d bytes, %v", h, len(body), err)
	}
}

// TestContextEndsBody: the end of the stream's context stops the sending
// of its body, waiting here for a window the backend does not give (its
// SETTINGS_INITIAL_WINDOW_SIZE is 0): the body is closed without the
// stream being closed, none of it goes even once the window opens, and
// Head returns the context's error.
func TestContextEndsBody(t *testing.T) {
	c, f := newFake(t, h2client.Config{}, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	ctx, cancel := context.WithCancel(context.Background())
	body := &closeCounter{Reader: strings.NewReader("data")}
	req := &h2client.Request{Method: []byte("POST"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte("/"),
		Body: body, ContentLength: 4}
	s := open(t, c, ctx, req)
	id := f.request().StreamID
	cancel()
	testwait.For(t, "the body closed", func() bool { return body.closed.Load() == 1 })
	f.fr.WriteWindowUpdate(id, 100)
	for _, fr := range f.sync() {
		if fr.Type == http2.FrameData {
			t.Errorf("DATA sent on stream %d after its context ended", fr.StreamID)
		}
	}
	if _, err := s.Head(testwait.Bound); !errors.Is(err, context.Canceled) {
		t.Errorf("Head: %v, want context.Canceled", err)
	}
}

// blockedIn reports whether a goroutine waits in a select in the
// h2client function fn ("(*Stream).Read").
func blockedIn(fn string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("[select")) && bytes.Contains(g, []byte("h2client."+fn+"(")) {
			return true
		}
	}
	return false
}

// TestCloseWakesWaiters: Close, from another goroutine, ends a Head and a
// Read that wait on the stream (with an error), without waiting for
// their timeout or their context.
func TestCloseWakesWaiters(t *testing.T) {
	srv, release, _ := blocking(t)
	defer close(release)
	c := dial(t, srv.Addr, h2client.Config{})

	s := open(t, c, bounded(t), get("/block"))
	headErr := make(chan error, 1)
	go func() {
		_, err := s.Head(time.Minute)
		headErr <- err
	}()
	testwait.For(t, "Head waiting", func() bool { return blockedIn("(*Stream).Head") })
	s.Close()
	if err := recv(t, "Head to return after Close", headErr); err == nil {
		t.Error("Head after Close succeeded")
	}

	s = open(t, c, bounded(t), get("/block?head"))
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, len("first"))); err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 10))
		readErr <- err
	}()
	testwait.For(t, "Read waiting", func() bool { return blockedIn("(*Stream).Read") })
	s.Close()
	if err := recv(t, "Read to return after Close", readErr); err == nil {
		t.Error("Read after Close succeeded")
	}
}
