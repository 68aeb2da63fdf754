package h2client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
)

// TestPushPromise: a PUSH_PROMISE (push being disabled in the client's
// SETTINGS) closes the connection: the client sends a GOAWAY with
// PROTOCOL_ERROR, its open stream fails with ErrClosed, Err says why and
// State is Closed.
func TestPushPromise(t *testing.T) {
	c, f := newFake(t, h2client.Config{})
	s := open(t, c, bounded(t), get("/"))
	f.request()
	if v, ok := f.settings[http2.SettingEnablePush]; !ok || v != 0 {
		t.Errorf("the client's SETTINGS_ENABLE_PUSH: %d (sent %v), want 0", v, ok)
	}
	f.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, EndHeaders: true, BlockFragment: []byte{0x82}})
	if g := f.next(http2.FrameGoAway).(*http2.GoAwayFrame); g.ErrCode != http2.ErrCodeProtocol {
		t.Errorf("the client's GOAWAY has %v, want PROTOCOL_ERROR", g.ErrCode)
	}
	if _, err := s.Head(testwait.Bound); !errors.Is(err, h2client.ErrClosed) {
		t.Errorf("Head: %v, want ErrClosed", err)
	}
	testwait.For(t, "the connection closed", func() bool { return c.State().Closed })
	if err := c.Err(); !errors.Is(err, h2client.ErrClosed) {
		t.Errorf("Err: %v, want ErrClosed", err)
	}
}

// TestPrefaceNotSettings: a backend whose first frame is not SETTINGS
// (a PING here) has the connection closed: Ready fails, Err is set, State
// is Closed, and Reserve takes no stream.
func TestPrefaceNotSettings(t *testing.T) {
	c, f := dialFake(t, h2client.Config{})
	f.fr.WritePing(false, [8]byte{1})
	if err := c.Ready(testwait.Bound); err == nil {
		t.Error("Ready succeeded")
	}
	testwait.For(t, "the connection closed", func() bool { return c.State().Closed })
	if c.Err() == nil {
		t.Error("Err is nil")
	}
	if c.Reserve() {
		t.Error("Reserve took a stream on a closed connection")
	}
}

// TestReadyTimeout: a backend that sends no SETTINGS makes Ready fail
// after its timeout, and closes the connection.
func TestReadyTimeout(t *testing.T) {
	c, _ := dialFake(t, h2client.Config{})
	if err := c.Ready(50 * time.Millisecond); err == nil {
		t.Fatal("Ready succeeded without the backend's SETTINGS")
	}
	if st := c.State(); !st.Closed {
		t.Errorf("state %+v after Ready failed, want Closed", st)
	}
}

// TestPingAnswered: a PING from the backend is answered with a PING ack
// carrying its data.
func TestPingAnswered(t *testing.T) {
	_, f := newFake(t, h2client.Config{})
	data := [8]byte{'a', 'b', 'c', 'd', 1, 2, 3, 4}
	f.fr.WritePing(false, data)
	p := f.next(http2.FramePing).(*http2.PingFrame)
	if !p.IsAck() || p.Data != data {
		t.Errorf("PING ack %v with %q, want an ack with %q", p.IsAck(), p.Data, data)
	}
}

// TestPingTimeout: with a silent backend, the client sends a PING after
// Config.PingAfter; a backend that answers keeps the connection (several
// PINGs answered), one that does not has it closed after PingTimeout.
func TestPingTimeout(t *testing.T) {
	cfg := h2client.Config{PingAfter: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond}

	c, f := newFake(t, cfg)
	for i := range 3 {
		p := f.next(http2.FramePing).(*http2.PingFrame)
		if p.IsAck() {
			t.Fatalf("PING %d is an ack", i)
		}
		f.fr.WritePing(true, p.Data)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("the connection failed with its PINGs answered: %v", err)
	}

	c, f = newFake(t, cfg)
	if p := f.next(http2.FramePing).(*http2.PingFrame); p.IsAck() {
		t.Fatal("the client's PING is an ack")
	}
	testwait.For(t, "the connection closed", func() bool { return c.State().Closed })
	if err := c.Err(); !errors.Is(err, h2client.ErrClosed) {
		t.Errorf("Err: %v, want ErrClosed", err)
	}
}

// TestServerSettingsChecked: SETTINGS that a server may not send end the
// connection with a GOAWAY of the RFC's code: SETTINGS_ENABLE_PUSH 1
// (PROTOCOL_ERROR, RFC 9113 §6.5.2), and a SETTINGS_INITIAL_WINDOW_SIZE
// that takes an open stream's send window above 2^31-1 after WINDOW_UPDATEs
// (FLOW_CONTROL_ERROR, §6.9.2).
func TestServerSettingsChecked(t *testing.T) {
	t.Run("enable push", func(t *testing.T) {
		c, f := newFake(t, h2client.Config{})
		s := open(t, c, bounded(t), get("/"))
		f.request()
		f.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 1})
		if g := f.next(http2.FrameGoAway).(*http2.GoAwayFrame); g.ErrCode != http2.ErrCodeProtocol {
			t.Errorf("GOAWAY %v, want PROTOCOL_ERROR", g.ErrCode)
		}
		if _, err := s.Head(testwait.Bound); !errors.Is(err, h2client.ErrClosed) {
			t.Errorf("Head: %v, want ErrClosed", err)
		}
	})
	t.Run("window overflow", func(t *testing.T) {
		c, f := newFake(t, h2client.Config{})
		s := open(t, c, bounded(t), get("/"))
		id := f.request().StreamID
		f.fr.WriteWindowUpdate(id, 1<<31-1-65535) // the stream's window at 2^31-1
		f.sync()
		f.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 65536})
		if g := f.next(http2.FrameGoAway).(*http2.GoAwayFrame); g.ErrCode != http2.ErrCodeFlowControl {
			t.Errorf("GOAWAY %v, want FLOW_CONTROL_ERROR", g.ErrCode)
		}
		if _, err := s.Head(testwait.Bound); !errors.Is(err, h2client.ErrClosed) {
			t.Errorf("Head: %v, want ErrClosed", err)
		}
	})
}
