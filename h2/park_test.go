//go:build linux

package h2

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/listener"
)

// awaitParks waits until the server has parked want connections in all.
func awaitParks(t *testing.T, ts *testServer, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ts.s.Parks() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d parks, want %d", ts.s.Parks(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// get sends a GET for bench.test on stream id and checks its 200.
func (cl *client) get(t *testing.T, enc *hpack.Encoder, hb *bytes.Buffer, id uint32) {
	t.Helper()
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: requestBlock(enc, hb, "bench.test"), EndStream: true, EndHeaders: true})
	}))
	if st, reset, goAway, code := cl.await(id); st != "200" {
		t.Fatalf("stream %d: status %q reset %v GOAWAY %v code %d", id, st, reset, goAway, code)
	}
}

func eachTransport(t *testing.T, f func(t *testing.T, plain bool)) {
	for _, plain := range []bool{true, false} {
		t.Run(map[bool]string{true: "tcp", false: "tls"}[plain], func(t *testing.T) { f(t, plain) })
	}
}

// TestIdleConnectionParksAndWakes: a connection with no stream in flight
// parks once silent (no goroutine of its own: neither the frame loop's nor
// the writer's), serves the next request when it comes, the HPACK state
// intact (the second request's fields are indexed), and parks again.
func TestIdleConnectionParksAndWakes(t *testing.T) {
	eachTransport(t, func(t *testing.T, plain bool) {
		ts := startServer(t, testOptions{plain: plain})
		cl := ts.dial(t)
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		cl.get(t, enc, &hb, 1)
		awaitParks(t, ts, 1)
		if n := goroutinesIn("h2.(*conn)"); n != 0 {
			t.Errorf("%d goroutines of the parked connection", n)
		}
		cl.get(t, enc, &hb, 3)
		awaitParks(t, ts, 2)
		cl.get(t, enc, &hb, 5)
	})
}

// goroutinesIn counts the goroutines whose stack mentions fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// TestPingWakesAParkedConnection: a PING to a parked connection is
// answered.
func TestPingWakesAParkedConnection(t *testing.T) {
	eachTransport(t, func(t *testing.T, plain bool) {
		ts := startServer(t, testOptions{plain: plain})
		cl := ts.dial(t)
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		cl.get(t, enc, &hb, 1)
		awaitParks(t, ts, 1)
		cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
			_ = fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
		}))
		for {
			typ, flags, _, p, err := cl.frame()
			if err != nil {
				t.Fatalf("no PING ack: %v", err)
			}
			if typ == framePing {
				if flags&flagAck == 0 || binary.BigEndian.Uint64(p) != 0x0102030405060708 {
					t.Fatalf("PING flags %#x payload %x", flags, p)
				}
				break
			}
		}
		awaitParks(t, ts, 2)
	})
}

// TestParkedConnectionGoesAway: a parked connection gets GOAWAY(NO_ERROR)
// after keepalive_timeout and is closed, as one that waits in its
// goroutine does.
func TestParkedConnectionGoesAway(t *testing.T) {
	eachTransport(t, func(t *testing.T, plain bool) {
		ts := startServer(t, testOptions{plain: plain, settings: func(s *listener.Settings) { s.KeepAliveTimeout = 300 * time.Millisecond }})
		cl := ts.dial(t)
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		cl.get(t, enc, &hb, 1)
		start := time.Now()
		awaitParks(t, ts, 1)
		if goAway, code := cl.untilClosed(); !goAway || code != codeNo {
			t.Errorf("GOAWAY %v code %d", goAway, code)
		}
		if took := time.Since(start); took < 200*time.Millisecond || took > 5*time.Second {
			t.Errorf("parked connection closed after %v", took)
		}
	})
}

// TestParkedConnectionDrainsAndStops: Drain sends a parked connection
// GOAWAY(NO_ERROR) naming its last stream and closes it; a hard stop
// closes one at once.
func TestParkedConnectionDrainsAndStops(t *testing.T) {
	eachTransport(t, func(t *testing.T, plain bool) {
		ts := startServer(t, testOptions{plain: plain})
		cl := ts.dial(t)
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		cl.get(t, enc, &hb, 1)
		awaitParks(t, ts, 1)
		ts.s.Drain()
		var last uint32
		for {
			typ, _, _, p, err := cl.frame()
			if err != nil {
				t.Fatalf("closed without GOAWAY: %v", err)
			}
			if typ == frameGoAway {
				last = binary.BigEndian.Uint32(p) & 0x7fffffff
				if code := binary.BigEndian.Uint32(p[4:]); code != codeNo {
					t.Errorf("GOAWAY code %d", code)
				}
				break
			}
		}
		if last != 1 {
			t.Errorf("GOAWAY names stream %d, want 1", last)
		}
		if goAway, _ := cl.untilClosed(); goAway {
			t.Errorf("a second GOAWAY")
		}

		ts2 := startServer(t, testOptions{plain: plain})
		cl2 := ts2.dial(t)
		enc2 := hpack.NewEncoder(&hb)
		cl2.get(t, enc2, &hb, 1)
		awaitParks(t, ts2, 1)
		ts2.s.CloseAll()
		if goAway, _ := cl2.untilClosed(); goAway {
			t.Errorf("GOAWAY on a hard stop")
		}
	})
}

// TestNoParkWithAStreamInFlight: a connection whose stream waits for its
// body does not park, however long the client is silent.
func TestNoParkWithAStreamInFlight(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: methodBlock(enc, &hb, "POST", "bench.test", "content-length", "4"), EndHeaders: true})
	}))
	time.Sleep(200 * time.Millisecond)
	if n := ts.s.Parks(); n != 0 {
		t.Fatalf("%d parks with a stream in flight", n)
	}
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) { _ = fr.WriteData(1, true, []byte("body")) }))
	if st, reset, goAway, code := cl.await(1); st != "200" {
		t.Errorf("status %q reset %v GOAWAY %v code %d", st, reset, goAway, code)
	}
}
