package h2client_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// limited is a net/http h2c server that takes 2 concurrent streams; its
// handler answers once release is closed.
func limited(t *testing.T) (*h2cServer, chan struct{}) {
	release := make(chan struct{})
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), func(s *http.Server) { s.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 2} })
	return srv, release
}

// TestReserveLimit: Reserve counts reservations and open streams against
// the server's SETTINGS_MAX_CONCURRENT_STREAMS (2): a third is refused
// while two are held, whether reserved or open, and a slot given back
// (Unreserve, or a stream closed) can be taken again.
func TestReserveLimit(t *testing.T) {
	srv, release := limited(t)
	c := dial(t, srv.Addr, h2client.Config{})
	if !c.Reserve() || !c.Reserve() {
		t.Fatal("Reserve refused one of the first two streams")
	}
	if c.Reserve() {
		t.Fatal("Reserve took a third stream")
	}
	if st := c.State(); st.Reserved != 2 || st.Streams != 0 {
		t.Errorf("state %+v, want 2 reserved", st)
	}
	c.Unreserve()
	if !c.Reserve() {
		t.Fatal("Reserve refused the slot Unreserve gave back")
	}
	var streams []*h2client.Stream
	for range 2 {
		s, err := c.Open(bounded(t), get("/"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		streams = append(streams, s)
	}
	if st := c.State(); st.Reserved != 0 || st.Streams != 2 {
		t.Errorf("state %+v, want 2 streams open", st)
	}
	if c.Reserve() {
		t.Fatal("Reserve took a third stream beside two open")
	}
	close(release)
	for _, s := range streams {
		if h, err := s.Head(testwait.Bound); err != nil || h.Status != 200 {
			t.Fatalf("Head: %v, %v", h, err)
		}
	}
	if c.Reserve() {
		t.Fatal("Reserve took a third stream beside two answered, not closed")
	}
	streams[0].Close()
	if !c.Reserve() {
		t.Fatal("Reserve refused the slot of a closed stream")
	}
	c.Unreserve()
}

// TestOpenUnreserved: Open without a reservation fails with ErrNoStream
// and leaves the count of reservations as it was: Reserve still stops at
// the server's limit.
func TestOpenUnreserved(t *testing.T) {
	srv, release := limited(t)
	defer close(release)
	c := dial(t, srv.Addr, h2client.Config{})
	s, err := c.Open(bounded(t), get("/"))
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, h2client.ErrNoStream) {
		t.Errorf("Open without a reservation: %v, want ErrNoStream", err)
	}
	if st := c.State(); st.Reserved != 0 || st.Streams != 0 {
		t.Errorf("state %+v after it, want nothing reserved or open", st)
	}
	n := 0
	for n < 5 && c.Reserve() {
		n++
	}
	if n != 2 {
		t.Errorf("Reserve took %d streams, want the server's 2", n)
	}
	for range n {
		c.Unreserve()
	}
}
