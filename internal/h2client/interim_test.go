package h2client_test

import (
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// TestTrailers: the trailers a net/http handler announces and sets after
// its body come back from Trailers once Read returned io.EOF, and are
// not among the head's fields.
func TestTrailers(t *testing.T) {
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum, X-Count")
		io.WriteString(w, "body")
		w.Header().Set("X-Checksum", "abc")
		w.Header().Set("X-Count", "4")
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{})
	s := open(t, c, bounded(t), get("/"))
	h, err := s.Head(testwait.Bound)
	if err != nil {
		t.Fatal(err)
	}
	if v := values(h.Fields, "x-checksum"); v != nil {
		t.Errorf("the head has x-checksum %q", v)
	}
	body, err := io.ReadAll(s)
	if err != nil || string(body) != "body" {
		t.Fatalf("body %q, %v", body, err)
	}
	tr := s.Trailers()
	if !slices.Equal(values(tr, "x-checksum"), []string{"abc"}) || !slices.Equal(values(tr, "x-count"), []string{"4"}) {
		t.Errorf("trailers %v, want x-checksum abc and x-count 4", tr)
	}
}

// TestEarlyHints: a 103 the handler sends before its final head comes
// first from Head, with its Link fields, then the 200 with its own.
func TestEarlyHints(t *testing.T) {
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "</style.css>; rel=preload")
		w.Header().Add("Link", "</app.js>; rel=preload")
		w.WriteHeader(103)
		w.Header().Del("Link")
		w.Header().Set("X-Final", "yes")
		w.WriteHeader(200)
		io.WriteString(w, "page")
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{})
	s := open(t, c, bounded(t), get("/"))
	h, err := s.Head(testwait.Bound)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"</style.css>; rel=preload", "</app.js>; rel=preload"}
	if h.Status != 103 || !slices.Equal(values(h.Fields, "link"), want) {
		t.Fatalf("first head %d %v, want 103 with the two links", h.Status, h.Fields)
	}
	h, err = s.Head(testwait.Bound)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != 200 || !slices.Equal(values(h.Fields, "x-final"), []string{"yes"}) {
		t.Fatalf("second head %d %v, want 200 with x-final", h.Status, h.Fields)
	}
	if body, err := io.ReadAll(s); err != nil || string(body) != "page" {
		t.Errorf("body %q, %v", body, err)
	}
}
