package h2client_test

import (
	"errors"
	"io"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
)

// TestRefusedStream: a stream the backend refuses (RST_STREAM
// REFUSED_STREAM) fails with an error that is ErrUnprocessed (the request
// may go again) and a StreamError; the client sends no RST_STREAM of its
// own for it, and the connection goes on serving. Another reset code is
// not ErrUnprocessed.
func TestRefusedStream(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	s := open(t, c, bounded(t), get("/"))
	f.request()
	f.fr.WriteRSTStream(1, http2.ErrCodeRefusedStream)
	_, err := s.Head(testwait.Bound)
	var se *h2client.StreamError
	if !errors.Is(err, h2client.ErrUnprocessed) || !errors.As(err, &se) || se.Code != http2.ErrCodeRefusedStream {
		t.Errorf("Head: %v, want ErrUnprocessed and a REFUSED_STREAM StreamError", err)
	}
	s.Close()

	s = open(t, c, bounded(t), get("/"))
	f.request()
	f.fr.WriteRSTStream(3, http2.ErrCodeInternal)
	if _, err := s.Head(testwait.Bound); errors.Is(err, h2client.ErrUnprocessed) || !errors.As(err, &se) {
		t.Errorf("Head after INTERNAL_ERROR: %v, want a StreamError that is not ErrUnprocessed", err)
	}
	s.Close()
	for _, fr := range f.sync() {
		if fr.Type == http2.FrameRSTStream {
			t.Errorf("the client reset stream %d the backend had reset", fr.StreamID)
		}
	}
	serveOK(t, c, f, "still here")
}

// TestGoAway: a GOAWAY whose last stream is below an open stream fails
// that stream with ErrUnprocessed at once, while the stream at or below
// it completes; the connection takes no new stream (Reserve refuses,
// State says Closing) and closes once its last stream is closed.
func TestGoAway(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	first := open(t, c, bounded(t), get("/1"))
	second := open(t, c, bounded(t), get("/3"))
	f.request()
	f.request()
	f.fr.WriteGoAway(1, http2.ErrCodeNo, nil)

	if _, err := second.Head(testwait.Bound); !errors.Is(err, h2client.ErrUnprocessed) {
		t.Errorf("stream 3's Head: %v, want ErrUnprocessed", err)
	}
	if c.Reserve() {
		t.Error("Reserve took a stream after a GOAWAY")
		c.Unreserve()
	}
	if st := c.State(); !st.Closing || st.Closed {
		t.Errorf("state after the GOAWAY %+v, want Closing", st)
	}

	f.head(1, false, ":status", "200")
	f.data(1, true, "done")
	if h, err := first.Head(testwait.Bound); err != nil || h.Status != 200 {
		t.Fatalf("stream 1's Head: %v, %v", h, err)
	}
	if body, err := io.ReadAll(first); err != nil || string(body) != "done" {
		t.Errorf("stream 1's body %q, %v", body, err)
	}
	second.Close()
	if c.State().Closed {
		t.Error("the connection closed with stream 1 still open")
	}
	first.Close()
	testwait.For(t, "the connection closed", func() bool { return c.State().Closed })
	if g, ok := f.next(http2.FrameGoAway).(*http2.GoAwayFrame); !ok || g.ErrCode != http2.ErrCodeNo {
		t.Errorf("the client's GOAWAY: %v", g)
	}
}
