package h2client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// script writes frames of a backend's side into a buffer, for the fuzz
// corpus.
type script struct {
	buf  bytes.Buffer
	fr   *http2.Framer
	hbuf bytes.Buffer
	enc  *hpack.Encoder
}

func newScript() *script {
	s := &script{}
	s.fr = http2.NewFramer(&s.buf, nil)
	s.enc = hpack.NewEncoder(&s.hbuf)
	return s
}

func (s *script) head(id uint32, end bool, kv ...string) *script {
	s.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		s.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: s.hbuf.Bytes(), EndStream: end, EndHeaders: true})
	return s
}

func (s *script) bytes() []byte { return s.buf.Bytes() }

// FuzzReadFrames feeds arbitrary bytes, after a valid SETTINGS frame, as
// the backend's side of a connection with one stream open (a GET, or a
// POST with a body when the first byte is odd), then closes that side:
// the client must not panic, and Head and Read must return, well within
// the bound of the stream's context, once the backend is gone.
func FuzzReadFrames(f *testing.F) {
	f.Add(newScript().head(1, false, ":status", "200", "content-length", "2").bytes())
	s := newScript().head(1, false, ":status", "200")
	s.fr.WriteData(1, false, []byte("hello"))
	s.fr.WriteData(1, true, nil)
	f.Add(s.bytes())
	s = newScript().head(1, false, ":status", "103", "link", "</a>").head(1, false, ":status", "200", "trailer", "x-t")
	s.fr.WriteDataPadded(1, false, []byte("body"), []byte{0, 0, 0})
	s.head(1, true, "x-t", "v")
	f.Add(s.bytes())
	s = newScript()
	s.fr.WritePing(false, [8]byte{1})
	s.fr.WriteWindowUpdate(0, 1000)
	s.fr.WriteWindowUpdate(1, 1000)
	s.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
	s.fr.WriteSettingsAck()
	s.head(1, true, ":status", "204")
	f.Add(s.bytes())
	s = newScript()
	s.fr.WriteRSTStream(1, http2.ErrCodeRefusedStream)
	s.fr.WriteGoAway(0, http2.ErrCodeNo, []byte("bye"))
	f.Add(s.bytes())
	s = newScript().head(1, false, ":status", "200", strings.Repeat("x", 100), "y")
	s.fr.WriteContinuation(1, true, []byte{0x82})
	f.Add(s.bytes())

	f.Fuzz(func(t *testing.T, in []byte) {
		cc, sc := net.Pipe()
		drained := make(chan struct{})
		go func() { io.Copy(io.Discard, sc); close(drained) }()
		opened := make(chan struct{})
		written := make(chan struct{})
		go func() {
			defer close(written)
			defer sc.Close()
			if http2.NewFramer(sc, nil).WriteSettings() != nil {
				return
			}
			<-opened
			sc.Write(in)
		}()
		c, err := h2client.New(cc, h2client.Config{StreamWindow: 1000, MaxHeaderBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			c.Close()
			<-written
			<-drained
		}()
		if err := c.Ready(testwait.Bound); err != nil {
			close(opened)
			t.Fatal(err)
		}
		req := get("/")
		if len(in) > 0 && in[0]&1 == 1 {
			req = &h2client.Request{Method: []byte("POST"), Scheme: []byte("http"), Authority: []byte("backend.test"), Path: []byte("/"),
				Body: strings.NewReader("hello"), ContentLength: 5}
		}
		ctx, cancel := context.WithTimeout(context.Background(), testwait.Bound)
		defer cancel()
		c.Reserve()
		st, err := c.Open(ctx, req)
		close(opened)
		if err != nil {
			return // the input failed the connection before the stream went
		}
		defer st.Close()
		start := time.Now()
		for {
			h, err := st.Head(testwait.Bound)
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Head still waited %v after the backend closed", time.Since(start))
			}
			if err != nil {
				return
			}
			if h.Status >= 200 {
				break
			}
		}
		if _, err := io.Copy(io.Discard, st); errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Read still waited %v after the backend closed", time.Since(start))
		}
	})
}
