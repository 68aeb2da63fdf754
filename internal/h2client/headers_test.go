package h2client_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestFieldOrder: a response's fields come back in the backend's order
// (not sorted, a name's repeats where they were), as they were sent.
func TestFieldOrder(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	s := open(t, c, bounded(t), get("/"))
	f.request()
	kv := []string{"x-b", "1", "content-type", "text/plain", "x-a", "2", "x-b", "3", "set-cookie", "a=1", "set-cookie", "b=2"}
	f.head(1, true, append([]string{":status", "200"}, kv...)...)
	h, err := s.Head(testwait.Bound)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fl := range h.Fields {
		got = append(got, fl.Name, fl.Value)
	}
	if !slices.Equal(got, kv) {
		t.Errorf("fields %q, want %q", got, kv)
	}
	if h.ContentLength != -1 {
		t.Errorf("ContentLength %d without a content-length, want -1", h.ContentLength)
	}
}

// TestHeaderFragments: a request head larger than the backend's
// SETTINGS_MAX_FRAME_SIZE (20000 here) goes as HEADERS and CONTINUATION
// frames each within it (the first one at it: the setting is used, not
// the 16384 default), and decodes whole.
func TestHeaderFragments(t *testing.T) {
	c, f := newFake(t, h2client.Config{}, http2.Setting{ID: http2.SettingMaxFrameSize, Val: 20000})
	f.fr.ReadMetaHeaders = nil // the fragments as they come
	big := strings.Repeat("v", 50000)
	req := get("/")
	req.Fields = fields("x-big", big)
	open(t, c, bounded(t), req)
	var block []byte
	var sizes []int
	for fr := f.next(http2.FrameHeaders, http2.FrameContinuation); ; fr = f.next(http2.FrameContinuation) {
		var frag []byte
		var ended bool
		switch fr := fr.(type) {
		case *http2.HeadersFrame:
			frag, ended = fr.HeaderBlockFragment(), fr.HeadersEnded()
		case *http2.ContinuationFrame:
			frag, ended = fr.HeaderBlockFragment(), fr.HeadersEnded()
		}
		block = append(block, frag...)
		sizes = append(sizes, len(frag))
		if ended {
			break
		}
	}
	if len(sizes) < 3 || sizes[0] != 20000 || slices.Max(sizes) > 20000 {
		t.Errorf("fragments of %v bytes, want 20000 at most, the first at it", sizes)
	}
	fields, err := hpack.NewDecoder(4096, nil).DecodeFull(block)
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 5 || fields[4].Name != "x-big" || fields[4].Value != big {
		t.Errorf("decoded %d fields, want the 4 pseudo-fields and x-big whole", len(fields))
	}
}

// TestMaxHeaderBytes: Config.MaxHeaderBytes is told to the backend in
// SETTINGS_MAX_HEADER_LIST_SIZE, and a response head above it fails its
// stream (a StreamError, and a RST_STREAM to the backend), not the
// connection; one just within it passes.
func TestMaxHeaderBytes(t *testing.T) {
	c, f := newFake(t, h2client.Config{MaxHeaderBytes: 2000})
	within := []string{":status", "200"} // 32+7+3 = 42 bytes
	for i := 0; len(within) < 2+2*30; i++ {
		within = append(within, fmt.Sprintf("x-%03d", i), strings.Repeat("v", 26)) // 32+5+26 = 63 bytes
	}
	// 42 + 30*63 = 1932 bytes; four more fields take it beyond 2000.
	above := append(slices.Clone(within), "x-a", "1", "x-b", "2", "x-c", "3")

	s := open(t, c, bounded(t), get("/above"))
	f.request()
	if v := f.settings[http2.SettingMaxHeaderListSize]; v != 2000 {
		t.Errorf("the client's SETTINGS_MAX_HEADER_LIST_SIZE is %d, want 2000", v)
	}
	f.head(1, true, above...)
	_, err := s.Head(testwait.Bound)
	var se *h2client.StreamError
	if !errors.As(err, &se) {
		t.Errorf("Head of a head above the limit: %v, want a StreamError", err)
	}
	if code := f.rst(1); code != http2.ErrCodeProtocol {
		t.Errorf("RST_STREAM %v, want PROTOCOL_ERROR", code)
	}

	s = open(t, c, bounded(t), get("/within"))
	f.request()
	f.head(3, true, within...)
	if h, err := s.Head(testwait.Bound); err != nil || len(h.Fields) != 30 {
		t.Errorf("Head of a head within the limit: %v, %v", h, err)
	}
	if err := c.Err(); err != nil {
		t.Errorf("the connection failed: %v", err)
	}
}
