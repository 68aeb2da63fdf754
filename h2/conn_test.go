package h2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/listener"
)

// The frame loop's rules, each tested on a connection of its own (plain
// TCP: the same loop as over TLS, frames arriving in reads of any size).

// frames returns what write puts on a framer, with its HPACK encoder.
func frames(write func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer)) []byte {
	var out, hb bytes.Buffer
	write(http2.NewFramer(&out, nil), hpack.NewEncoder(&hb), &hb)
	return out.Bytes()
}

// requestBlock encodes a GET of / on host with extra fields after.
func requestBlock(enc *hpack.Encoder, hb *bytes.Buffer, host string, extra ...string) []byte {
	return methodBlock(enc, hb, "GET", host, extra...)
}

func methodBlock(enc *hpack.Encoder, hb *bytes.Buffer, method, host string, extra ...string) []byte {
	return block(enc, hb, append([]string{":method", method, ":scheme", "https", ":authority", host, ":path", "/"}, extra...)...)
}

// writePieces writes b in writes of n bytes.
func (cl *client) writePieces(b []byte, n int) {
	for len(b) > 0 {
		k := min(n, len(b))
		cl.write(b[:k])
		b = b[k:]
	}
}

// await reads frames until a HEADERS frame of stream id (its status), a
// reset of it, GOAWAY or the end of the connection; what it reads of other
// streams is kept for their turn.
func (cl *client) await(id uint32) (status string, reset bool, goAway bool, code uint32) {
	if cl.seen == nil {
		cl.seen = map[uint32]seenStream{}
	}
	for {
		if s, ok := cl.seen[id]; ok {
			delete(cl.seen, id)
			return s.status, s.reset, false, s.code
		}
		typ, _, sid, p, err := cl.frame()
		if err != nil {
			return "", false, false, 0
		}
		switch typ {
		case frameHeaders:
			if _, ok := cl.seen[sid]; !ok {
				cl.seen[sid] = seenStream{status: cl.hstatus}
			}
		case frameRSTStream:
			cl.seen[sid] = seenStream{reset: true, code: binary.BigEndian.Uint32(p)}
		case frameGoAway:
			return "", false, true, binary.BigEndian.Uint32(p[4:])
		}
	}
}

type seenStream struct {
	status string
	reset  bool
	code   uint32
}

// TestForbiddenFieldsAcrossFramesAndReads: a connection-specific field, or
// TE other than "trailers", ends the connection with
// GOAWAY(PROTOCOL_ERROR), wherever the field sits in a block split over
// HEADERS (padded, with a priority) and CONTINUATION, and however the
// bytes are cut into reads; the HPACK state from an earlier block counts.
func TestForbiddenFieldsAcrossFramesAndReads(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	for _, tc := range []struct {
		extra []string
		bad   bool
	}{
		{nil, false},
		{[]string{"te", "trailers"}, false},
		{[]string{"te", "gzip"}, true},
		{[]string{"connection", "close"}, true},
		{[]string{"x-ok", "1", "transfer-encoding", "chunked"}, true},
		{[]string{"keep-alive", "5"}, true},
		{[]string{"proxy-connection", "x"}, true},
		{[]string{"upgrade", "websocket"}, true},
	} {
		b := frames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestBlock(enc, hb, "a.test"),
				EndHeaders: true, EndStream: true})
			blk := requestBlock(enc, hb, "a.test", tc.extra...)
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: blk[:3], PadLength: 4,
				Priority: http2.PriorityParam{StreamDep: 1, Weight: 9}, EndStream: true})
			_ = fr.WriteContinuation(3, true, blk[3:])
		})
		for _, piece := range []int{1, 9, 7, len(b)} {
			cl := ts.dial(t)
			cl.writePieces(b, piece)
			// The first stream is answered, unless the connection ends
			// before its answer went.
			st, reset, goAway, code := cl.await(1)
			if !goAway {
				if st != "404" {
					t.Fatalf("%v in pieces of %d: first stream %q", tc.extra, piece, st)
				}
				st, reset, goAway, code = cl.await(3)
			}
			switch {
			case tc.bad && (!goAway || code != codeProtocol):
				t.Errorf("%v in pieces of %d: status %q reset %v GOAWAY %v code %d", tc.extra, piece, st, reset, goAway, code)
			case !tc.bad && st != "404":
				t.Errorf("%v in pieces of %d: status %q reset %v GOAWAY %v code %d", tc.extra, piece, st, reset, goAway, code)
			}
		}
	}
}

// TestFloodsAreCounted: up to each limit in a second the connection
// serves on; one frame more ends it with GOAWAY(ENHANCE_YOUR_CALM). Acks
// are not counted.
func TestFloodsAreCounted(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	lim := DefaultLimits
	for name, tc := range map[string]struct {
		limit int
		write func(fr *http2.Framer)
	}{
		"ping": {lim.Pings, func(fr *http2.Framer) { _ = fr.WritePing(false, [8]byte{}) }},
		// dial sent a SETTINGS frame and a WINDOW_UPDATE already
		"settings": {lim.Settings - 1, func(fr *http2.Framer) { _ = fr.WriteSettings() }},
		"reset":    {lim.Resets, func(fr *http2.Framer) { _ = fr.WriteRSTStream(1, http2.ErrCodeCancel) }},
		"empty":    {lim.EmptyData, func(fr *http2.Framer) { _ = fr.WriteData(1, false, nil) }},
		"window":   {lim.WindowUpdates - 1, func(fr *http2.Framer) { _ = fr.WriteWindowUpdate(0, 1) }},
		"priority": {lim.Priorities, func(fr *http2.Framer) {
			_ = fr.WritePriority(5, http2.PriorityParam{StreamDep: 0, Weight: 1})
		}},
		"priority update": {lim.Priorities, func(fr *http2.Framer) { _ = fr.WriteRawFrame(framePriorityUpdate, 0, 0, []byte{0, 0, 0, 1}) }},
	} {
		for _, n := range []int{tc.limit, tc.limit + 1} {
			cl := ts.dial(t)
			var hb bytes.Buffer
			enc := hpack.NewEncoder(&hb)
			b := frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
				// Stream 1 open (a body follows), for the frames that
				// need a stream.
				_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: methodBlock(enc, &hb, "POST", "a.test"), EndHeaders: true})
				for range n {
					tc.write(fr)
				}
				_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: requestBlock(enc, &hb, "a.test"),
					EndHeaders: true, EndStream: true})
			})
			cl.write(b)
			st, _, goAway, code := cl.await(3)
			if n == tc.limit && st != "404" {
				t.Errorf("%s: %d frames in a second: status %q GOAWAY %v code %d", name, n, st, goAway, code)
			}
			if n > tc.limit && (!goAway || code != codeEnhanceYourCalm) {
				t.Errorf("%s: %d frames: status %q GOAWAY %v code %d", name, n, st, goAway, code)
			}
		}
	}
	// Acks are not counted.
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		for range 1000 {
			_ = fr.WritePing(true, [8]byte{})
			_ = fr.WriteSettingsAck()
		}
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestBlock(enc, &hb, "a.test"),
			EndHeaders: true, EndStream: true})
	}))
	if st, _, goAway, code := cl.await(1); st != "404" {
		t.Errorf("acks counted: status %q GOAWAY %v code %d", st, goAway, code)
	}
}

// TestContinuationFloodAndHeaderBlockBudget: a header block of more than
// Limits.Continuations CONTINUATION frames, or of more than
// Limits.MaxHeaderBlock bytes (whatever its frames' sizes), ends the
// connection with GOAWAY(ENHANCE_YOUR_CALM); a 30 KiB block in 16 KiB
// frames is within the default bound.
func TestContinuationFloodAndHeaderBlockBudget(t *testing.T) {
	lim := DefaultLimits
	lim.Continuations = 1 << 20 // the byte budget, not the frame count, is under test
	ts := startServer(t, testOptions{plain: true, lim: lim})
	for _, size := range []int{1, 1000, 16000} {
		cl := ts.dial(t)
		frag := bytes.Repeat([]byte{0x40}, size) // junk HPACK: the budget comes first
		b := frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: frag[:1]})
			for range (lim.MaxHeaderBlock+size)/size + 1 {
				_ = fr.WriteContinuation(1, false, frag)
			}
		})
		go cl.c.Write(b) //nolint:errcheck // fails once the server closes
		if goAway, code := cl.untilClosed(); !goAway || code != codeEnhanceYourCalm {
			t.Errorf("CONTINUATION frames of %d bytes: GOAWAY %v code %d", size, goAway, code)
		}
	}
	// 21 empty CONTINUATION frames with the default limits.
	ts2 := startServer(t, testOptions{plain: true})
	cl := ts2.dial(t)
	cl.write(frames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		blk := requestBlock(enc, hb, "a.test")
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk[:1]})
		for range DefaultLimits.Continuations + 1 {
			_ = fr.WriteContinuation(1, false, nil)
		}
	}))
	if goAway, code := cl.untilClosed(); !goAway || code != codeEnhanceYourCalm {
		t.Errorf("CONTINUATION flood: GOAWAY %v code %d", goAway, code)
	}
	// A 30 KiB block in two frames passes.
	cl = ts2.dial(t)
	cl.write(frames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		hb.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "a.test"}, {":path", "/"},
			{"x-big", strings.Repeat("a", 30<<10)}} {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1], Sensitive: true})
		}
		blk := hb.Bytes()
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk[:16<<10], EndStream: true})
		_ = fr.WriteContinuation(1, true, blk[16<<10:])
	}))
	if st, _, goAway, code := cl.await(1); st != "404" {
		t.Errorf("a 30 KiB block: status %q GOAWAY %v code %d", st, goAway, code)
	}
}

// TestHPACKBombGets431: a small block that decodes to a header list over
// the limit (one large field of the dynamic table referenced many times)
// is answered 431, and the connection serves on.
func TestHPACKBombGets431(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	big := strings.Repeat("b", 3000)
	first := requestBlock(enc, &hb, "a.test", "x-big", big) // adds x-big to the dynamic table
	bomb := requestBlock(enc, &hb, "a.test", "x-big", big)
	for range 20 {
		bomb = append(bomb, 0x80|62) // indexed: the newest entry of the dynamic table, x-big
	}
	cl.write(headersFrame(nil, 1, first, true))
	if st, _, _, _ := cl.await(1); st != "404" {
		t.Fatalf("first request: %q", st)
	}
	if len(bomb) > 200 {
		t.Fatalf("the bomb is %d bytes", len(bomb))
	}
	cl.write(headersFrame(nil, 3, bomb, true))
	if st, reset, goAway, code := cl.await(3); st != "431" {
		t.Errorf("bomb: status %q reset %v GOAWAY %v code %d", st, reset, goAway, code)
	}
	cl.write(headersFrame(nil, 5, requestBlock(enc, &hb, "a.test"), true))
	if st, _, _, _ := cl.await(5); st != "404" {
		t.Errorf("after the bomb: %q", st)
	}
}

// TestRepeatedSettingsApplyInOrder: a parameter repeated in one SETTINGS
// frame takes its last value (RFC 9113 §6.5.3).
func TestRepeatedSettingsApplyInOrder(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	cl := ts.dial(t)
	cl.write(frames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestBlock(enc, hb, "bench.test"),
			EndHeaders: true, EndStream: true})
	}))
	for {
		typ, _, id, p, err := cl.frame()
		if err != nil {
			t.Fatal(err)
		}
		if typ == frameData && id == 1 {
			if len(p) != 1 {
				t.Errorf("first DATA frame of %d bytes, want 1", len(p))
			}
			return
		}
	}
}

// TestIdleConnectionGoesAway: a connection without a stream for
// keepalive_timeout gets GOAWAY(NO_ERROR) and is closed; one with a
// stream open is not, however long the stream lasts.
func TestIdleConnectionGoesAway(t *testing.T) {
	for _, plain := range []bool{true, false} {
		t.Run(map[bool]string{true: "tcp", false: "tls"}[plain], func(t *testing.T) { testIdleConnectionGoesAway(t, plain) })
	}
}

// testIdleConnectionGoesAway runs over TLS too: a read deadline that
// passes while a stream is open leaves the *tls.Conn usable.
func testIdleConnectionGoesAway(t *testing.T, plain bool) {
	ts := startServer(t, testOptions{plain: plain, settings: func(s *listener.Settings) { s.KeepAliveTimeout = 200 * time.Millisecond }})
	cl := ts.dial(t)
	start := time.Now()
	if goAway, code := cl.untilClosed(); !goAway || code != codeNo {
		t.Errorf("idle: GOAWAY %v code %d", goAway, code)
	}
	if took := time.Since(start); took < 150*time.Millisecond || took > 5*time.Second {
		t.Errorf("idle connection closed after %v", took)
	}
	// A stream whose body has not come keeps it open past the timeout.
	cl = ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: methodBlock(enc, &hb, "POST", "a.test", "content-length", "4"), EndHeaders: true})
	}))
	time.Sleep(500 * time.Millisecond)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) { _ = fr.WriteData(1, true, []byte("body")) }))
	if st, reset, goAway, code := cl.await(1); st != "404" {
		t.Errorf("slow stream: status %q reset %v GOAWAY %v code %d", st, reset, goAway, code)
	}
}

// TestLateConnectionAnswersItsFirstStream: a connection that comes after
// the drain began (accepted just before the listener stopped accepting,
// as in an upgrade's handover) is served as HTTP/1.1 serves one: its
// first stream is answered, GOAWAY names it, a stream sent with it is
// refused (the client may send it again elsewhere), and the connection
// closes. A hard stop still refuses connections, until Reopen.
func TestLateConnectionAnswersItsFirstStream(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	ts.ln.Drain()
	ts.s.Drain()
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestBlock(enc, &hb, "bench.test"),
			EndHeaders: true, EndStream: true})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: requestBlock(enc, &hb, "bench.test"),
			EndHeaders: true, EndStream: true})
	}))
	var (
		status           string
		goAways          int
		last, goAwayCode uint32
		reset3           uint32
	)
	for {
		typ, _, sid, p, err := cl.frame()
		if err != nil {
			break // the connection closed
		}
		switch {
		case typ == frameHeaders && sid == 1:
			status = cl.hstatus
		case typ == frameRSTStream && sid == 3:
			reset3 = binary.BigEndian.Uint32(p)
		case typ == frameGoAway:
			goAways++
			last, goAwayCode = binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
		}
	}
	if status != "200" {
		t.Errorf("first stream: status %q, want 200", status)
	}
	if goAways != 1 || last != 1 || goAwayCode != codeNo {
		t.Errorf("%d GOAWAY, last %d code %d; want one GOAWAY(1, NO_ERROR)", goAways, last, goAwayCode)
	}
	if reset3 != codeRefusedStream {
		t.Errorf("stream 3 reset with %d, want REFUSED_STREAM", reset3)
	}

	// After a hard stop a connection is refused (closed at once)...
	ts.s.CloseAll()
	cl = ts.dial(t)
	if typ, _, _, _, err := cl.frame(); err == nil {
		t.Errorf("after a hard stop: frame type %d, want the connection closed", typ)
	}
	// ... until the listener is activated again.
	ts.ln.Reopen()
	ts.s.Reopen()
	cl = ts.dial(t)
	enc = hpack.NewEncoder(&hb)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestBlock(enc, &hb, "bench.test"),
			EndHeaders: true, EndStream: true})
	}))
	if st, _, goAway, _ := cl.await(1); st != "200" || goAway {
		t.Errorf("reopened: status %q GOAWAY %v, want 200 without GOAWAY", st, goAway)
	}
}

// TestDrainBeforeServeKeepsThePrefaceFirst: a Drain that finds a
// connection tracked but not yet serving (it was accepted just before)
// queues its GOAWAY after the server's SETTINGS, which must come first,
// and the connection closes once the client's preface is in.
func TestDrainBeforeServeKeepsThePrefaceFirst(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	c := newConn(ts.s, sc, sc, exchange.Client{Conn: sc, Addr: peerAddr(sc)}, func() { close(released) })
	c.queuePreface()
	if !ts.s.track(c) {
		t.Fatal("not tracked")
	}
	c.drain() // as Drain does for every tracked connection
	done := make(chan struct{})
	go func() { defer close(done); c.serve() }()
	cl := &client{tb: t, c: cc, in: make([]byte, 64<<10), next: 1}
	cl.write(append([]byte(preface), appendFrameHeader(nil, 0, frameSettings, 0, 0)...))
	var types []byte
	_ = cc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		typ, _, _, _, err := cl.frame()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal("the drained connection did not close")
		}
		if err != nil {
			break
		}
		types = append(types, typ)
	}
	if len(types) < 2 || types[0] != frameSettings || !bytes.Contains(types, []byte{frameGoAway}) {
		t.Errorf("frame types %v: want SETTINGS first, then GOAWAY", types)
	}
	<-done
	<-released
}

// TestDrainLetsStreamsFinish: Drain sends GOAWAY(NO_ERROR); a stream in
// flight finishes, a later one is refused, and the connection closes.
func TestDrainLetsStreamsFinish(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: methodBlock(enc, &hb, "POST", "a.test", "content-length", "4"), EndHeaders: true})
	}))
	// Wait until stream 1 is open.
	for i := 0; ; i++ {
		n := 0
		for _, c := range ts.s.live.Snapshot() {
			c.mu.Lock()
			n += len(c.streams)
			c.mu.Unlock()
		}
		if n == 1 {
			break
		}
		if i > 500 {
			t.Fatal("stream 1 never opened")
		}
		time.Sleep(2 * time.Millisecond)
	}
	ts.ln.Drain()
	ts.s.Drain()
	for {
		typ, _, _, p, err := cl.frame()
		if err != nil {
			t.Fatal(err)
		}
		if typ == frameGoAway {
			if last, code := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:]); last != 1 || code != codeNo {
				t.Errorf("GOAWAY last %d code %d", last, code)
			}
			break
		}
	}
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: requestBlock(enc, &hb, "a.test"),
			EndHeaders: true, EndStream: true})
		_ = fr.WriteData(1, true, []byte("body"))
	}))
	if st, reset, code := func() (string, bool, uint32) { s, r, _, c := cl.await(3); return s, r, c }(); !reset || code != codeRefusedStream {
		t.Errorf("a stream after GOAWAY: status %q reset %v code %d", st, reset, code)
	}
	if st, _, _, _ := cl.await(1); st != "404" {
		t.Errorf("the stream in flight: %q", st)
	}
	if goAway, _ := cl.untilClosed(); goAway {
		t.Error("a second GOAWAY")
	}
}

// TestClosedWindowResetsAfterFrontTimeout: a client that opens no window
// for a response's body stops it; after front_timeout without progress
// the stream is reset and its exchange ends.
func TestClosedWindowResetsAfterFrontTimeout(t *testing.T) {
	ts := startServer(t, testOptions{plain: true, settings: func(s *listener.Settings) { s.FrontTimeout = 300 * time.Millisecond }})
	cl := ts.dial(t)
	start := time.Now()
	cl.write(frames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestBlock(enc, hb, "bench.test"),
			EndHeaders: true, EndStream: true})
	}))
	if st, _, _, _ := cl.await(1); st != "200" {
		t.Fatalf("status %q", st)
	}
	_, reset, _, code := cl.await(1)
	if !reset || code != codeInternal {
		t.Errorf("reset %v code %d", reset, code)
	}
	if took := time.Since(start); took < 250*time.Millisecond || took > 5*time.Second {
		t.Errorf("reset after %v", took)
	}
}

// TestClientResetCutsTheBackend: a client's RST_STREAM closes the backend
// connection of the stream's exchange at once.
func TestClientResetCutsTheBackend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		for { // reads the request, never answers, until the proxy closes
			if _, err := c.Read(buf); err != nil {
				close(closed)
				return
			}
		}
	}()
	t.Cleanup(func() { ln.Close() })
	ts := startServer(t, testOptions{plain: true, origin: ln.Addr().String()})
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	cl.write(headersFrame(nil, 1, requestBlock(enc, &hb, "bench.test"), true))
	time.Sleep(100 * time.Millisecond) // the request reaches the origin
	cl.write(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteRSTStream(1, http2.ErrCodeCancel)
	}))
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend connection outlived the client's reset")
	}
	// The connection serves on.
	cl.write(headersFrame(nil, 3, requestBlock(enc, &hb, "a.test"), true))
	if st, _, _, _ := cl.await(3); st != "404" {
		t.Errorf("after the reset: %q", st)
	}
}

// TestFullDuplexWakesBothSides: while a response streams through a small
// client window and the request body still arrives, the exchange's two
// waits (for window to send, for DATA to upload) are each woken by their
// own event: the response completes without waiting for front_timeout.
func TestFullDuplexWakesBothSides(t *testing.T) {
	const size = 512 << 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var owg sync.WaitGroup
	t.Cleanup(func() { close(done); ln.Close(); owg.Wait() })
	owg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		n := 0
		for !bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
			k, err := c.Read(buf[n:])
			if err != nil {
				return
			}
			n += k
		}
		owg.Go(func() { // the rest of the request body, as it comes
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		})
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 524288\r\n\r\n"))
		chunk := bytes.Repeat([]byte("r"), 16<<10)
		for range size / len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
		<-done // keep the connection while the client reads
	})
	ts := startServer(t, testOptions{plain: true, origin: ln.Addr().String(),
		settings: func(s *listener.Settings) { s.FrontTimeout = 3 * time.Second }})
	cl := ts.dial(t)
	var mu sync.Mutex
	send := func(b []byte) {
		mu.Lock()
		defer mu.Unlock()
		cl.write(b)
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	send(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 16 << 10})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: methodBlock(enc, &hb, "POST", "bench.test",
			"content-length", "524288"), EndHeaders: true})
	}))
	var wg sync.WaitGroup
	wg.Go(func() { // the request body, slowly
		chunk := bytes.Repeat([]byte("q"), 8<<10)
		for i := range size / len(chunk) {
			send(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
				_ = fr.WriteData(1, i == size/len(chunk)-1, chunk)
			}))
			time.Sleep(time.Millisecond)
		}
	})
	defer wg.Wait()
	start := time.Now()
	got := 0
	for {
		typ, flags, id, p, err := cl.frame()
		if err != nil {
			t.Fatalf("after %d bytes: %v", got, err)
		}
		if typ == frameRSTStream || typ == frameGoAway {
			t.Fatalf("after %d bytes: frame %d", got, typ)
		}
		if typ == frameData && id == 1 {
			got += len(p)
			if len(p) > 0 {
				send(frames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
					_ = fr.WriteWindowUpdate(1, uint32(len(p)))
				}))
			}
			if flags&flagEndStream != 0 {
				break
			}
		}
	}
	if got != size {
		t.Errorf("%d body bytes", got)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the response took %v", took)
	}
}
