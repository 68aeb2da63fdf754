package h2client_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
)

// TestBufferBounded: a reader that stays a little behind the backend
// (never takes all that is buffered) holds no more than about its stream
// window in memory, however long the response: the bytes it read are not
// kept.
func TestBufferBounded(t *testing.T) {
	const window = 65536
	c, f := newFake(t, h2client.Config{StreamWindow: window})
	s := open(t, c, bounded(t), get("/"))
	id := f.request().StreamID
	f.head(id, false, ":status", "200")
	chunk := strings.Repeat("x", 16384)
	f.data(id, false, chunk)
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 16384)
	for i := 0; i < 200; i++ {
		f.data(id, false, chunk)
		f.sync() // the client has it buffered
		if _, err := io.ReadFull(s, p); err != nil {
			t.Fatal(err)
		}
		if n := s.Buffered(); n > 2*window {
			t.Fatalf("after %d bytes read, the stream holds %d bytes (window %d)", (i+1)*len(p), n, window)
		}
	}
}

// TestFrameTooLarge: a frame larger than the SETTINGS_MAX_FRAME_SIZE the
// client announced (the default, 16384) is a connection error of type
// FRAME_SIZE_ERROR (RFC 9113 §4.2), not data taken.
func TestFrameTooLarge(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	s := open(t, c, bounded(t), get("/"))
	id := f.request().StreamID
	f.head(id, false, ":status", "200")
	f.data(id, true, strings.Repeat("x", 16385))
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	if body, err := io.ReadAll(s); err == nil {
		t.Fatalf("a %d-byte DATA frame was taken", len(body))
	}
	g := f.next(http2.FrameGoAway).(*http2.GoAwayFrame)
	if g.ErrCode != http2.ErrCodeFrameSize {
		t.Errorf("GOAWAY %v, want FRAME_SIZE_ERROR", g.ErrCode)
	}
}

// TestOpenFailClosesBody: a request body Open does not send (the
// connection took no new stream meanwhile: a GOAWAY) is closed all the
// same, so that its owner knows the transport is done with it.
func TestOpenFailClosesBody(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	if !c.Reserve() {
		t.Fatal("Reserve refused")
	}
	f.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	testwait.For(t, "the GOAWAY in", func() bool { return c.State().Closing || c.State().Closed })
	body := &closeCounter{Reader: bytes.NewReader([]byte("data"))}
	req := &h2client.Request{Method: []byte("POST"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte("/"),
		Body: body, ContentLength: 4}
	s, err := c.Open(bounded(t), req)
	if err == nil {
		s.Close()
		t.Fatal("Open after a GOAWAY succeeded")
	}
	if !errors.Is(err, h2client.ErrUnprocessed) {
		t.Errorf("Open: %v, want ErrUnprocessed", err)
	}
	if n := body.closed.Load(); n != 1 {
		t.Errorf("body closed %d times, want 1", n)
	}
}

// TestContentLengthEndedByHead: a head that ends the stream while its
// content-length announces a body is a body cut short (io.ErrUnexpectedEOF),
// unless the response has no content by its request or status (HEAD, 204,
// 304): a caller that framed the response by the content-length must not
// take it for whole.
func TestContentLengthEndedByHead(t *testing.T) {
	for _, tc := range []struct {
		method, status string
		want           error
	}{
		{"GET", "200", io.ErrUnexpectedEOF},
		{"HEAD", "200", nil},
		{"GET", "304", nil},
	} {
		c, f := newFake(t, h2client.Config{})
		req := get("/")
		req.Method = []byte(tc.method)
		s := open(t, c, bounded(t), req)
		id := f.request().StreamID
		f.head(id, true, ":status", tc.status, "content-length", "100000")
		if _, err := s.Head(testwait.Bound); err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(s)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s, %s: %d bytes, %v; want %v", tc.method, tc.status, len(body), err, tc.want)
		}
	}
}
