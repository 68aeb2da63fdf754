package h2client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
)

// TestSlowReader: a 2 MiB response, many times the client's stream
// window, read 1000 bytes at a time, comes whole: the client grants the
// window back as it reads (the server would stall without, and the
// stream's context end the Read).
func TestSlowReader(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789abcdef"), 128<<10)
	srv := newH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(want)
	}), nil)
	c := dial(t, srv.Addr, h2client.Config{StreamWindow: 65535})
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Bound)
	defer cancel()
	s := open(t, c, ctx, get("/"))
	if _, err := s.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	p := make([]byte, 1000)
	for {
		n, err := s.Read(p)
		got.Write(p[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", got.Len(), err)
		}
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("got %d bytes (equal %v), want the %d sent", got.Len(), bytes.Equal(got.Bytes(), want), len(want))
	}
}

// TestRecvWindow: the client's stream window (Config.StreamWindow, told
// in SETTINGS_INITIAL_WINDOW_SIZE) bounds what the backend may send: a
// byte beyond it fails the stream (FLOW_CONTROL_ERROR, the data before it
// still read) and not the connection; once read, the window is granted
// back in a WINDOW_UPDATE and the backend may send it again.
func TestRecvWindow(t *testing.T) {
	c, f := newFake(t, h2client.Config{StreamWindow: 1000})
	a := open(t, c, bounded(t), get("/a"))
	f.request()
	if w := f.settings[http2.SettingInitialWindowSize]; w != 1000 {
		t.Errorf("the client's SETTINGS_INITIAL_WINDOW_SIZE is %d, want 1000", w)
	}
	f.head(1, false, ":status", "200")
	f.data(1, false, strings.Repeat("a", 1000))
	f.data(1, false, "!")
	if code := f.rst(1); code != http2.ErrCodeFlowControl {
		t.Errorf("RST_STREAM %v, want FLOW_CONTROL_ERROR", code)
	}
	if _, err := a.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(a)
	var se *h2client.StreamError
	if len(got) != 1000 || !errors.As(err, &se) || se.Code != http2.ErrCodeFlowControl {
		t.Errorf("read %d bytes then %v, want 1000 then a FLOW_CONTROL_ERROR StreamError", len(got), err)
	}

	b := open(t, c, bounded(t), get("/b"))
	id := f.request().StreamID
	f.head(id, false, ":status", "200")
	f.data(id, false, strings.Repeat("b", 1000))
	if _, err := b.Head(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(b, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	for granted := uint32(0); granted < 1000; {
		wu := f.next(http2.FrameWindowUpdate).(*http2.WindowUpdateFrame)
		if wu.StreamID == id {
			granted += wu.Increment
		}
	}
	f.data(id, true, strings.Repeat("c", 1000))
	if rest, err := io.ReadAll(b); err != nil || len(rest) != 1000 {
		t.Errorf("after the WINDOW_UPDATE: %d bytes, %v; want 1000", len(rest), err)
	}
}

// TestSendWindow: a request body keeps within the backend's windows: a
// stream's (the backend's SETTINGS_INITIAL_WINDOW_SIZE, 20000 here) and
// the connection's (65535 until the backend grants more), each DATA
// frame within SETTINGS_MAX_FRAME_SIZE; the backend grants each window
// only once it is used up, and the body still comes whole.
func TestSendWindow(t *testing.T) {
	c, f := newFake(t, h2client.Config{},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 20000},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: 16384})
	want := bytes.Repeat([]byte("xyz"), 100_000)
	req := &h2client.Request{Method: []byte("POST"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte("/"),
		Body: bytes.NewReader(want), ContentLength: int64(len(want))}
	open(t, c, bounded(t), req)
	id := f.request().StreamID
	streamWin, connWin := 20000, 65535
	var got []byte
	for {
		d := f.next(http2.FrameData).(*http2.DataFrame)
		n := len(d.Data())
		got = append(got, d.Data()...)
		if n > 16384 {
			t.Fatalf("a DATA frame of %d bytes, above SETTINGS_MAX_FRAME_SIZE", n)
		}
		if streamWin -= n; streamWin < 0 {
			t.Fatalf("%d bytes beyond the stream's window", -streamWin)
		}
		if connWin -= n; connWin < 0 {
			t.Fatalf("%d bytes beyond the connection's window", -connWin)
		}
		if d.StreamEnded() {
			break
		}
		if streamWin == 0 {
			streamWin = 20000
			f.fr.WriteWindowUpdate(id, 20000)
		}
		if connWin == 0 {
			connWin = 65535
			f.fr.WriteWindowUpdate(0, 65535)
		}
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the backend got %d bytes (equal %v), want the %d sent", len(got), bytes.Equal(got, want), len(want))
	}
}

// TestDroppedDataCredit: DATA that comes for a stream the client closed
// (sent before the backend saw the RST_STREAM) is dropped, but its
// connection window is granted back: 20 streams closed with 1 MiB each
// coming after, beyond the connection's 16 MiB window, leave the
// connection serving.
func TestDroppedDataCredit(t *testing.T) {
	c, f := newFake(t, h2client.Config{StreamWindow: 1 << 20})
	chunk := strings.Repeat("d", 16384)
	for range 20 {
		s := open(t, c, bounded(t), get("/"))
		id := f.request().StreamID
		s.Close()
		f.head(id, false, ":status", "200")
		for range 64 {
			f.data(id, false, chunk)
		}
	}
	serveOK(t, c, f, "still here")
	if err := c.Err(); err != nil {
		t.Errorf("the connection failed: %v", err)
	}
}
