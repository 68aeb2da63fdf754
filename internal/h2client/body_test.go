package h2client_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// closeCounter is a request body that counts its Close calls.
type closeCounter struct {
	io.Reader
	closed atomic.Int32
}

func (c *closeCounter) Close() error { c.closed.Add(1); return nil }

// echo answers with the request body, and its declared length in
// X-Length.
func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Length", strconv.FormatInt(r.ContentLength, 10))
	io.Copy(w, r.Body)
}

// TestPostEcho: a 1 MiB body goes to net/http's server and comes back
// whole, with the client's stream window at 65535 so that flow control
// works both ways (the client waits for the server's WINDOW_UPDATEs, and
// grants its own as it reads); with its length known (sent as
// content-length) and unknown (-1); the body is closed once sent.
func TestPostEcho(t *testing.T) {
	srv := newH2C(t, http.HandlerFunc(echo), nil)
	c := dial(t, srv.Addr, h2client.Config{StreamWindow: 65535})
	want := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	for _, length := range []int64{int64(len(want)), -1} {
		body := &closeCounter{Reader: bytes.NewReader(want)}
		req := &h2client.Request{Method: []byte("POST"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte("/echo"),
			Body: body, ContentLength: length}
		h, got, err := roundTrip(c, req)
		if err != nil {
			t.Fatalf("length %d: %v", length, err)
		}
		if h.Status != 200 || !bytes.Equal(got, want) {
			t.Errorf("length %d: status %d, %d bytes back (equal %v), want 200 and the %d sent",
				length, h.Status, len(got), bytes.Equal(got, want), len(want))
		}
		if v := values(h.Fields, "x-length"); len(v) != 1 || v[0] != strconv.FormatInt(length, 10) {
			t.Errorf("length %d: the server saw content-length %q", length, v)
		}
		testwait.For(t, "the body closed", func() bool { return body.closed.Load() == 1 })
	}
}

var errBoom = errors.New("boom")

// failingBody gives some bytes, then errBoom.
type failingBody struct{ n int }

func (b *failingBody) Read(p []byte) (int, error) {
	if b.n >= 3 {
		return 0, errBoom
	}
	b.n++
	return copy(p, "abc"), nil
}

// TestBodyError: a request body that fails resets the stream (the
// handler's read of the body fails) and Head and Read return the body's
// error; the connection serves the next request.
func TestBodyError(t *testing.T) {
	handlerErr := make(chan error, 1)
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/upload" {
			echo(w, r)
			return
		}
		_, err := io.ReadAll(r.Body)
		handlerErr <- err
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{})
	req := &h2client.Request{Method: []byte("POST"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte("/upload"),
		Body: &failingBody{}, ContentLength: -1}
	s := open(t, c, bounded(t), req)
	if _, err := s.Head(testwait.Bound); !errors.Is(err, errBoom) {
		t.Errorf("Head: %v, want the body's error", err)
	}
	if _, err := s.Read(make([]byte, 10)); !errors.Is(err, errBoom) {
		t.Errorf("Read: %v, want the body's error", err)
	}
	if err := recv(t, "the handler", handlerErr); err == nil {
		t.Error("the handler read the whole body: the stream was not reset")
	}
	s.Close()
	if h, body, err := roundTrip(c, get("/next")); err != nil || h.Status != 200 || len(body) != 0 {
		t.Errorf("next request: %v %q %v", h, body, err)
	}
}

// TestBodyLength: a body longer than its ContentLength, or shorter, is
// not sent as if it were whole: the stream fails with an error of the
// client's (no END_STREAM goes out, so the server never sees a complete
// request), and the connection serves the next request.
func TestBodyLength(t *testing.T) {
	complete := make(chan string, 2)
	ended := make(chan struct{}, 2)
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PUT" {
			return
		}
		defer func() { ended <- struct{}{} }()
		b, err := io.ReadAll(r.Body)
		if err == nil {
			complete <- string(b)
		}
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{})
	for _, tc := range []struct {
		body   string
		length int64
	}{{"0123456789", 4}, {"abc", 10}} {
		req := &h2client.Request{Method: []byte("PUT"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte("/"),
			Body: strings.NewReader(tc.body), ContentLength: tc.length}
		s := open(t, c, bounded(t), req)
		_, err := s.Head(testwait.Bound)
		var se *h2client.StreamError
		if err == nil || errors.As(err, &se) {
			t.Errorf("body %q, length %d: Head: %v, want the client's own error", tc.body, tc.length, err)
		}
		s.Close()
	}
	if h, _, err := roundTrip(c, get("/next")); err != nil || h.Status != 200 {
		t.Errorf("next request: %v %v", h, err)
	}
	for range 2 {
		select {
		case <-ended:
		case <-time.After(testwait.Bound):
			t.Fatal("the handlers did not end")
		}
	}
	select {
	case b := <-complete:
		t.Errorf("the server got a complete request body %q", b)
	default:
	}
}
