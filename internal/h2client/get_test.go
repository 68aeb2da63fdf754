package h2client_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// TestGet: a GET reaches net/http's server with its pseudo-fields and
// fields (names lower-cased, connection-specific ones and Host left out,
// never-indexed ones intact), and its response comes back with its
// status, its fields (a field's values in order), the content-length
// parsed, and the body; the stream's slot is given back.
func TestGet(t *testing.T) {
	type seen struct {
		method, host, path string
		h                  http.Header
	}
	got := make(chan seen, 1)
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Method, r.Host, r.URL.Path, r.Header.Clone()}
		w.Header().Add("X-Multi", "1")
		w.Header().Add("X-Multi", "2")
		w.Header().Add("X-Multi", "3")
		w.Header().Set("Content-Length", "5")
		w.WriteHeader(203)
		io.WriteString(w, "hello")
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{})
	req := get("/path")
	req.Fields = fields("X-Request", "one", "connection", "close", "Host", "other.test", "x-id", "42",
		"Authorization", "secret")
	h, body, err := roundTrip(c, req)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != 203 || string(body) != "hello" || h.ContentLength != 5 {
		t.Errorf("response %d %q content-length %d, want 203 %q 5", h.Status, body, h.ContentLength, "hello")
	}
	if v := values(h.Fields, "x-multi"); !slices.Equal(v, []string{"1", "2", "3"}) {
		t.Errorf("x-multi values %q, want 1 2 3 in order (fields %v)", v, h.Fields)
	}
	if v := values(h.Fields, "content-length"); !slices.Equal(v, []string{"5"}) {
		t.Errorf("content-length fields %q, want [5]", v)
	}
	s := recv(t, "the request", got)
	if s.method != "GET" || s.host != "backend.test" || s.path != "/path" {
		t.Errorf("server saw %s %s %s, want GET backend.test /path", s.method, s.host, s.path)
	}
	for name, want := range map[string]string{"X-Request": "one", "X-Id": "42", "Authorization": "secret", "Connection": ""} {
		if v := s.h.Get(name); v != want {
			t.Errorf("server saw %s %q, want %q", name, v, want)
		}
	}
	if st := c.State(); st.Streams != 0 || st.Reserved != 0 || st.Closed {
		t.Errorf("state after the exchange: %+v", st)
	}
}

// TestSequential: many requests, one after the other, share one
// connection (the server sees a single client address) and each gets
// its own response.
func TestSequential(t *testing.T) {
	var mu sync.Mutex
	remotes := map[string]bool{}
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes[r.RemoteAddr] = true
		mu.Unlock()
		io.WriteString(w, r.URL.Path)
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{})
	for i := range 200 {
		path := fmt.Sprintf("/%d", i)
		h, body, err := roundTrip(c, get(path))
		if err != nil || h.Status != 200 || string(body) != path {
			t.Fatalf("request %d: %v %q %v", i, h, body, err)
		}
	}
	if len(remotes) != 1 {
		t.Errorf("the server saw %d client connections, want 1", len(remotes))
	}
}

// TestConcurrent: 50 streams are open at once on one connection (the
// handlers all wait until the server has the 50 requests) and each gets
// its own response.
func TestConcurrent(t *testing.T) {
	const n = 50
	var arrived atomic.Int32
	all := make(chan struct{})
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, r.URL.Path)
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{})
	ctx := bounded(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/%d", i)
			if !c.Reserve() {
				errs <- fmt.Errorf("stream %d: Reserve refused", i)
				return
			}
			s, err := c.Open(ctx, get(path))
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			h, err := s.Head(testwait.Bound)
			if err != nil {
				errs <- err
				return
			}
			body, err := io.ReadAll(s)
			if err != nil || h.Status != 200 || string(body) != path {
				errs <- fmt.Errorf("stream %d: %d %q %v", i, h.Status, body, err)
			}
		}()
	}
	testwait.Group(t, "the 50 streams", &wg)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := c.State(); st.Streams != 0 || st.Closed {
		t.Errorf("state after the streams: %+v", st)
	}
}
