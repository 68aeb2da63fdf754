package h2

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// panicLog receives the server's log lines and keeps those that report a
// panic; safe for the server's goroutines to write to while the test reads.
type panicLog struct {
	mu     sync.Mutex
	panics []string
}

func (l *panicLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`msg="panic while serving`)) {
		l.mu.Lock()
		l.panics = append(l.panics, string(p))
		l.mu.Unlock()
	}
	return len(p), nil
}

// since returns the panic lines logged after the first n, and how many
// there are in all.
func (l *panicLog) since(n int) ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.panics[n:], len(l.panics)
}

// fuzzFrame is a frame of the seed corpus.
func fuzzFrame(typ, flags byte, stream uint32, payload []byte) []byte {
	return append(appendFrameHeader(nil, len(payload), typ, flags, stream), payload...)
}

// fuzzHead is an HPACK block of a request for path on bench.test (the
// test server's route), with extra fields.
func fuzzHead(method, path string, extra ...string) []byte {
	var b bytes.Buffer
	e := hpack.NewEncoder(&b)
	for _, f := range [][2]string{{":method", method}, {":scheme", "https"}, {":authority", "bench.test"}, {":path", path}} {
		_ = e.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	for i := 0; i+1 < len(extra); i += 2 {
		_ = e.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
	}
	return b.Bytes()
}

// FuzzConn feeds the HTTP/2 front, over a plain TCP connection to a
// running Server, the client preface and then arbitrary bytes, and ends
// the client's side. Whatever the bytes, the front must answer what it can,
// refuse the rest and close the connection, within seconds, without a
// panic in the frame loop or a stream (both are recovered and logged, so
// the log is checked). The server's cleanup waits for every connection's
// release, so a connection or worker the bytes left behind hangs the test.
func FuzzConn(f *testing.F) {
	logged := new(panicLog)
	ts := startServer(f, testOptions{plain: true, parkAfter: -1, log: logged})

	settings := fuzzFrame(frameSettings, 0, 0, appendSetting(appendSetting(nil, settingInitialWindowSize, 1<<20), settingMaxFrameSize, 1<<14))
	get := fuzzFrame(frameHeaders, flagEndHeaders|flagEndStream, 1, fuzzHead("GET", "/"))
	post := append(fuzzFrame(frameHeaders, flagEndHeaders, 3, fuzzHead("POST", "/up", "content-length", "5")),
		fuzzFrame(frameData, flagEndStream, 3, []byte("hello"))...)
	split := fuzzHead("GET", "/split", "x-a", "1", "x-b", "2")
	cont := append(fuzzFrame(frameHeaders, flagEndStream, 5, split[:4]), fuzzFrame(frameContinuation, flagEndHeaders, 5, split[4:])...)
	seeds := [][]byte{
		nil,
		settings,
		append(append([]byte{}, settings...), get...),
		append(append(append([]byte{}, settings...), get...), post...),
		append(append([]byte{}, settings...), cont...),
		append(append(append([]byte{}, settings...), get...), fuzzFrame(frameRSTStream, 0, 1, []byte{0, 0, 0, 8})...),
		append(append([]byte{}, settings...), fuzzFrame(framePing, 0, 0, make([]byte, 8))...),
		append(append([]byte{}, settings...), fuzzFrame(frameWindowUpdate, 0, 0, []byte{0, 0, 1, 0})...),
		append(append([]byte{}, settings...), fuzzFrame(framePriority, 0, 1, []byte{0, 0, 0, 0, 16})...),
		append(append([]byte{}, settings...), fuzzFrame(frameGoAway, 0, 0, make([]byte, 8))...),
		append(append([]byte{}, settings...), fuzzFrame(frameHeaders, flagEndHeaders|flagPadded, 1, append([]byte{3}, append(fuzzHead("GET", "/"), 0, 0, 0)...))...),
		append(append([]byte{}, settings...), fuzzFrame(frameHeaders, flagEndHeaders|flagEndStream, 1, fuzzHead("CONNECT", "/", ":protocol", "websocket"))...),
		append(append([]byte{}, settings...), fuzzFrame(frameData, 0, 1, []byte("x"))...),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, seen := logged.since(0)
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Until the server has been quiet for 50 ms the client's side stays
		// open, so that streams the bytes opened are answered (a client's
		// end cuts the streams in flight).
		got := testwait.Converse(t, c, append([]byte(preface), in...), 50*time.Millisecond)
		// Whatever came, the server's own SETTINGS came first.
		if b := got; len(b) < 9 || b[3] != frameSettings {
			t.Fatalf("the server's first bytes are %q, not its SETTINGS frame", b[:min(len(b), 9)])
		}
		if p, _ := logged.since(seen); len(p) > 0 {
			t.Fatalf("the front panicked on %q:\n%s", in, strings.Join(p, ""))
		}
	})
}
