package h2client_test

import (
	"errors"
	"io"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
)

// TestMalformedHead: a response head HTTP/2 calls malformed (RFC 9113
// §8.1.1, §8.2, §8.3.2) fails its stream with a StreamError, the client
// resets the stream (PROTOCOL_ERROR), and the connection goes on serving.
func TestMalformedHead(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	for _, tc := range []struct {
		name string
		kv   []string
	}{
		{"uppercase name", []string{":status", "200", "X-Upper", "1"}},
		{"connection", []string{":status", "200", "connection", "close"}},
		{"keep-alive", []string{":status", "200", "keep-alive", "timeout=5"}},
		{"transfer-encoding", []string{":status", "200", "transfer-encoding", "chunked"}},
		{"upgrade", []string{":status", "200", "upgrade", "h2c"}},
		{"no status", []string{"x-a", "1"}},
		{"two-digit status", []string{":status", "20"}},
		{"status not a number", []string{":status", "2x0"}},
		{"status 600", []string{":status", "600"}},
		{"two statuses", []string{":status", "200", ":status", "204"}},
		{"request pseudo-field", []string{":status", "200", ":path", "/"}},
		{"pseudo-field after a field", []string{"x-a", "1", ":status", "200"}},
		{"content-length not a number", []string{":status", "200", "content-length", "five"}},
		{"content-length with a sign", []string{":status", "200", "content-length", "+5"}},
		{"two content-lengths", []string{":status", "200", "content-length", "5", "content-length", "6"}},
		{"101", []string{":status", "101"}},
	} {
		s := open(t, c, bounded(t), get("/"))
		id := f.request().StreamID
		f.head(id, false, tc.kv...)
		_, err := s.Head(testwait.Bound)
		var se *h2client.StreamError
		if !errors.As(err, &se) || se.Code != http2.ErrCodeProtocol {
			t.Errorf("%s: Head: %v, want a PROTOCOL_ERROR StreamError", tc.name, err)
		}
		if code := f.rst(id); code != http2.ErrCodeProtocol {
			t.Errorf("%s: RST_STREAM %v, want PROTOCOL_ERROR", tc.name, code)
		}
		s.Close()
	}
	serveOK(t, c, f, "still here")
}

// TestLegalHead: response heads that are unusual but well-formed pass:
// a Host field (connection-specific only in a request's sense: RFC 9113
// §8.2.2 names Connection, Proxy-Connection, Keep-Alive,
// Transfer-Encoding and Upgrade), TE, a content-length repeated with one
// value, and a 100 Continue before the final head (not handed to Head).
func TestLegalHead(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	s := open(t, c, bounded(t), get("/"))
	id := f.request().StreamID
	f.head(id, false, ":status", "100")
	f.head(id, false, ":status", "200", "host", "backend.test", "te", "trailers",
		"content-length", "2", "content-length", "2")
	f.data(id, true, "ok")
	h, err := s.Head(testwait.Bound)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != 200 || h.ContentLength != 2 || len(h.Fields) != 4 {
		t.Errorf("head %d, content-length %d, fields %v; want 200, 2 and the 4 fields", h.Status, h.ContentLength, h.Fields)
	}
	if body, err := io.ReadAll(s); err != nil || string(body) != "ok" {
		t.Errorf("body %q, %v", body, err)
	}
}

// TestContentLength: DATA beyond the response's content-length fails the
// stream (a StreamError, and a RST_STREAM); a body that ends short of it
// makes Read return io.ErrUnexpectedEOF after the bytes that came; the
// connection goes on serving.
func TestContentLength(t *testing.T) {
	c, f := newFake(t, h2client.Config{})

	s := open(t, c, bounded(t), get("/long"))
	id := f.request().StreamID
	f.head(id, false, ":status", "200", "content-length", "2")
	f.data(id, true, "hello")
	if code := f.rst(id); code != http2.ErrCodeProtocol {
		t.Errorf("long body: RST_STREAM %v, want PROTOCOL_ERROR", code)
	}
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	_, err := io.ReadAll(s)
	var se *h2client.StreamError
	if !errors.As(err, &se) {
		t.Errorf("long body: Read: %v, want a StreamError", err)
	}
	s.Close()

	s = open(t, c, bounded(t), get("/short"))
	id = f.request().StreamID
	f.head(id, false, ":status", "200", "content-length", "10")
	f.data(id, false, "hel")
	f.data(id, true, "lo")
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(s)
	if string(body) != "hello" || err != io.ErrUnexpectedEOF {
		t.Errorf("short body: %q, %v; want %q then io.ErrUnexpectedEOF", body, err, "hello")
	}
	s.Close()
	serveOK(t, c, f, "still here")
}
