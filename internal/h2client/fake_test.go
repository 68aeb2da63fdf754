package h2client_test

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Helpers for the tests against a hand-written backend: the server side
// of one TCP connection on 127.0.0.1, which the test drives frame by
// frame (for what a real server will not do).

// fake is the backend's side of a connection.
type fake struct {
	t   testing.TB
	nc  net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
	// settings are the client's SETTINGS, once read.
	settings map[http2.SettingID]uint32
}

// dialFake connects a client with cfg to a fake backend and reads the
// client preface; the backend has written nothing yet. Both ends are
// closed at the end of the test.
func dialFake(t testing.TB, cfg h2client.Config) (*h2client.Conn, *fake) {
	t.Helper()
	return dialFakeTuned(t, cfg, nil)
}

// dialFakeTuned is dialFake with tune, if not nil, called on the client's
// and the backend's sockets before the client starts.
func dialFakeTuned(t testing.TB, cfg h2client.Config, tune func(client, backend *net.TCPConn)) (*h2client.Conn, *fake) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, _ := ln.Accept()
		accepted <- nc
	}()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc := <-accepted
	if sc == nil {
		cc.Close()
		t.Fatal("accept failed")
	}
	f := &fake{t: t, nc: sc, settings: make(map[http2.SettingID]uint32)}
	t.Cleanup(func() { sc.Close() })
	f.fr = http2.NewFramer(sc, sc)
	f.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	f.enc = hpack.NewEncoder(&f.buf)
	if tune != nil {
		tune(cc.(*net.TCPConn), sc.(*net.TCPConn))
	}
	c, err := h2client.New(cc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	preface := make([]byte, len(http2.ClientPreface))
	sc.SetReadDeadline(time.Now().Add(testwait.Bound))
	if _, err := io.ReadFull(sc, preface); err != nil || string(preface) != http2.ClientPreface {
		t.Fatalf("client preface: %q, %v", preface, err)
	}
	return c, f
}

// newFake is dialFake, then the backend's SETTINGS (settings), and the
// client Ready.
func newFake(t testing.TB, cfg h2client.Config, settings ...http2.Setting) (*h2client.Conn, *fake) {
	t.Helper()
	c, f := dialFake(t, cfg)
	if err := f.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(testwait.Bound); err != nil {
		t.Fatal(err)
	}
	return c, f
}

// next returns the client's next frame of one of the types want. The
// frames before it are skipped, but for SETTINGS, which are recorded and
// acknowledged (and returned if wanted). It fails the test when the
// connection ends first or nothing comes within testwait.Bound. The frame
// is only valid until the next read.
func (f *fake) next(want ...http2.FrameType) http2.Frame {
	f.t.Helper()
	for {
		f.nc.SetReadDeadline(time.Now().Add(testwait.Bound))
		fr, err := f.fr.ReadFrame()
		if err != nil {
			f.t.Fatalf("fake backend: waiting for %v: %v", want, err)
		}
		if s, ok := fr.(*http2.SettingsFrame); ok && !s.IsAck() {
			s.ForeachSetting(func(st http2.Setting) error { f.settings[st.ID] = st.Val; return nil })
			if err := f.fr.WriteSettingsAck(); err != nil {
				f.t.Fatal(err)
			}
		}
		for _, w := range want {
			if fr.Header().Type == w {
				return fr
			}
		}
	}
}

// sync sends a PING and reads the client's frames up to its answer: it
// returns the headers of the frames that came before it (all the client
// wrote before it read the PING).
func (f *fake) sync() []http2.FrameHeader {
	f.t.Helper()
	data := [8]byte{'s', 'y', 'n', 'c'}
	if err := f.fr.WritePing(false, data); err != nil {
		f.t.Fatal(err)
	}
	var seen []http2.FrameHeader
	for {
		fr := f.next(http2.FrameSettings, http2.FrameWindowUpdate, http2.FrameRSTStream,
			http2.FrameGoAway, http2.FramePing, http2.FrameData, http2.FrameHeaders)
		if p, ok := fr.(*http2.PingFrame); ok && p.IsAck() && p.Data == data {
			return seen
		}
		seen = append(seen, fr.Header())
	}
}

// request reads the client's next request head.
func (f *fake) request() *http2.MetaHeadersFrame {
	f.t.Helper()
	return f.next(http2.FrameHeaders).(*http2.MetaHeadersFrame)
}

// rst reads the client's next RST_STREAM and checks it is for stream id.
func (f *fake) rst(id uint32) http2.ErrCode {
	f.t.Helper()
	r := f.next(http2.FrameRSTStream).(*http2.RSTStreamFrame)
	if r.StreamID != id {
		f.t.Fatalf("RST_STREAM for stream %d, want %d", r.StreamID, id)
	}
	return r.ErrCode
}

// head writes a header block of the name, value pairs kv on stream id,
// as they are (no case folding, no checks).
func (f *fake) head(id uint32, end bool, kv ...string) {
	f.t.Helper()
	f.buf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		f.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	err := f.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: f.buf.Bytes(),
		EndStream: end, EndHeaders: true})
	if err != nil {
		f.t.Fatal(err)
	}
}

// data writes a DATA frame of s on stream id.
func (f *fake) data(id uint32, end bool, s string) {
	f.t.Helper()
	if err := f.fr.WriteData(id, end, []byte(s)); err != nil {
		f.t.Fatal(err)
	}
}

// serveOK answers the client's next request with 200 and body, to show
// the connection still serves after a stream failed.
func serveOK(t testing.TB, c *h2client.Conn, f *fake, body string) {
	t.Helper()
	done := make(chan struct{})
	var h *h2client.Response
	var got []byte
	var err error
	go func() {
		defer close(done)
		h, got, err = roundTrip(c, get("/ok"))
	}()
	id := f.request().StreamID
	f.head(id, false, ":status", "200")
	f.data(id, true, body)
	<-done
	if err != nil || h.Status != 200 || string(got) != body {
		t.Fatalf("next request: %v %q %v, want 200 %q", h, got, err, body)
	}
}
