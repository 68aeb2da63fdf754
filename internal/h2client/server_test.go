package h2client_test

import (
	"context"
	"errors"
	"github.com/sluiceproxy/sluice/internal/h1"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// Helpers for the tests against net/http's server, speaking HTTP/2 with
// prior knowledge (h2c) on 127.0.0.1.

// h2cServer is a running net/http h2c server and what it saw of its
// connections.
type h2cServer struct {
	Addr string

	mu     sync.Mutex
	states map[net.Conn]http.ConnState
}

// newH2C serves h on 127.0.0.1:0 until the end of the test; tune, if not
// nil, adjusts the server before it starts.
func newH2C(t testing.TB, h http.Handler, tune func(*http.Server)) *h2cServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &h2cServer{Addr: ln.Addr().String(), states: make(map[net.Conn]http.ConnState)}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: h, Protocols: &p, ErrorLog: log.New(io.Discard, "", 0)}
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		s.mu.Lock()
		s.states[c] = st
		s.mu.Unlock()
	}
	if tune != nil {
		tune(srv)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return s
}

// count is how many of the server's connections are in state st.
func (s *h2cServer) count(st http.ConnState) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.states {
		if v == st {
			n++
		}
	}
	return n
}

// dial connects a client to addr and waits for the backend's SETTINGS;
// the connection is closed at the end of the test.
func dial(t testing.TB, addr string, cfg h2client.Config) *h2client.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := h2client.New(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ready(time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

// bounded is a context that ends 2*testwait.Bound from now, or with the
// test: a wait a bug would make endless fails instead.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*testwait.Bound)
	t.Cleanup(cancel)
	return ctx
}

// get is a GET of path.
func get(path string) *h2client.Request {
	return &h2client.Request{Method: []byte("GET"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte(path)}
}

// open reserves a stream on c and opens r on it; the stream is closed at
// the end of the test.
func open(t testing.TB, c *h2client.Conn, ctx context.Context, r *h2client.Request) *h2client.Stream {
	t.Helper()
	if !c.Reserve() {
		t.Fatalf("Reserve refused: %+v", c.State())
	}
	s, err := c.Open(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// roundTrip sends r on c and returns the final head and the whole body;
// the stream is closed before it returns, and its waits are bounded.
func roundTrip(c *h2client.Conn, r *h2client.Request) (*h2client.Response, []byte, error) {
	if !c.Reserve() {
		return nil, nil, errors.New("Reserve refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*testwait.Bound)
	defer cancel()
	s, err := c.Open(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	h, err := s.Head(5 * time.Second)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(s)
	return h, body, err
}

// recv receives from ch, and fails the test, naming what it waited for,
// when nothing comes within testwait.Bound.
func recv[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testwait.Bound):
		t.Fatalf("waited %v for %s", testwait.Bound, what)
		panic("unreachable")
	}
}

// values are the values of the fields named name, in order.
func values(fs []h2client.Field, name string) []string {
	var vs []string
	for _, f := range fs {
		if f.Name == name {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// fields makes request fields of name, value pairs.
func fields(kv ...string) []h1.Header {
	fs := make([]h1.Header, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, h1.Header{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return fs
}
