package h2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// frames returns the client preface followed by what write puts on a
// framer.
func frames(t *testing.T, write func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer)) []byte {
	t.Helper()
	var out, hb bytes.Buffer
	out.WriteString(preface)
	write(http2.NewFramer(&out, nil), hpack.NewEncoder(&hb), &hb)
	return out.Bytes()
}

// scanIn feeds b to a fresh inbound in pieces of size n.
func scanIn(b []byte, n int) (uint32, error) {
	var in inbound
	in.init(DefaultLimits.withDefaults())
	now := time.Now()
	for len(b) > 0 {
		k := min(n, len(b))
		if code, err := in.scan(b[:k], now); err != nil {
			return code, err
		}
		b = b[k:]
	}
	return 0, nil
}

func headersBlock(enc *hpack.Encoder, hb *bytes.Buffer, extra ...string) []byte {
	hb.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "a.test"}, {":path", "/"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	for i := 0; i+1 < len(extra); i += 2 {
		_ = enc.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
	}
	return bytes.Clone(hb.Bytes())
}

func TestGuardFindsForbiddenFieldsAcrossFramesAndReads(t *testing.T) {
	for _, tc := range []struct {
		extra []string
		bad   bool
	}{
		{nil, false},
		{[]string{"te", "trailers"}, false},
		{[]string{"te", "gzip"}, true},
		{[]string{"connection", "close"}, true},
		{[]string{"x-ok", "1", "transfer-encoding", "chunked"}, true},
	} {
		b := frames(t, func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
			// A first, clean request fills the HPACK table; the second,
			// split over HEADERS (padded, with priority) and CONTINUATION,
			// carries the field under test.
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: headersBlock(enc, hb), EndHeaders: true, EndStream: true})
			block := headersBlock(enc, hb, tc.extra...)
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: block[:3], PadLength: 4,
				Priority: http2.PriorityParam{StreamDep: 1, Weight: 9}, EndStream: true})
			_ = fr.WriteContinuation(3, true, block[3:])
		})
		for _, piece := range []int{1, 9, 7, len(b)} {
			code, err := scanIn(b, piece)
			if tc.bad != errors.Is(err, ErrMalformed) || tc.bad && code != codeProtocol {
				t.Errorf("%v in pieces of %d: code %d error %v", tc.extra, piece, code, err)
			}
		}
	}
}

func TestGuardCountsFloods(t *testing.T) {
	lim := DefaultLimits
	for name, tc := range map[string]struct {
		limit int
		write func(fr *http2.Framer)
	}{
		"ping":     {lim.Pings, func(fr *http2.Framer) { _ = fr.WritePing(false, [8]byte{}) }},
		"settings": {lim.Settings, func(fr *http2.Framer) { _ = fr.WriteSettings() }},
		"reset":    {lim.Resets, func(fr *http2.Framer) { _ = fr.WriteRSTStream(1, http2.ErrCodeCancel) }},
		"empty":    {lim.EmptyData, func(fr *http2.Framer) { _ = fr.WriteData(1, false, nil) }},
		"window":   {lim.WindowUpdates, func(fr *http2.Framer) { _ = fr.WriteWindowUpdate(0, 1) }},
	} {
		for _, n := range []int{tc.limit, tc.limit + 1} {
			b := frames(t, func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
				for range n {
					tc.write(fr)
				}
			})
			code, err := scanIn(b, 100)
			if n == tc.limit && err != nil {
				t.Errorf("%s: %d frames in a second refused: %v", name, n, err)
			}
			if n > tc.limit && (!errors.Is(err, ErrFlood) || code != codeEnhanceYourCalm) {
				t.Errorf("%s: %d frames: code %d, %v", name, n, code, err)
			}
		}
	}
	// Acks are not counted.
	b := frames(t, func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
		for range 1000 {
			_ = fr.WritePing(true, [8]byte{})
			_ = fr.WriteSettingsAck()
		}
	})
	if _, err := scanIn(b, 4096); err != nil {
		t.Errorf("acks counted: %v", err)
	}
}

func TestDedupeSettingsKeepsTheLastValue(t *testing.T) {
	p := make([]byte, 18)
	for i, s := range [][2]uint32{{4, 100}, {3, 10}, {4, 1}} {
		binary.BigEndian.PutUint16(p[6*i:], uint16(s[0]))
		binary.BigEndian.PutUint32(p[6*i+2:], s[1])
	}
	dedupeSettings(p)
	if id := binary.BigEndian.Uint16(p); id != 0xf000 {
		t.Errorf("the overridden entry has id %#x", id)
	}
	if id, v := binary.BigEndian.Uint16(p[12:]), binary.BigEndian.Uint32(p[14:]); id != 4 || v != 1 {
		t.Errorf("the last entry is %d=%d", id, v)
	}
	if id := binary.BigEndian.Uint16(p[6:]); id != 3 {
		t.Errorf("a unique entry changed: %d", id)
	}
}

func TestOutboundBoundaries(t *testing.T) {
	var out bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	_ = fr.WriteData(1, false, make([]byte, 300))
	_ = fr.WritePing(false, [8]byte{})
	b := out.Bytes()
	var o outbound
	for i := range b {
		o.follow(b[i : i+1])
		at := i+1 == 9+300 || i+1 == len(b)
		if o.atBoundary() != at {
			t.Fatalf("after %d bytes: at boundary %v", i+1, o.atBoundary())
		}
	}
}

// TestGuardBoundsHeaderBlockBytes: a header block (HEADERS and its
// CONTINUATION frames) is refused once it passes MaxHeaderBlock bytes, at
// the frame header that takes it over, whatever the frames' sizes; a block
// within the bound passes.
func TestGuardBoundsHeaderBlockBytes(t *testing.T) {
	lim := DefaultLimits.withDefaults()
	for _, size := range []int{1, 1000, 16000} {
		frag := bytes.Repeat([]byte{0}, size)
		b := frames(t, func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: frag})
			for range 2*lim.MaxHeaderBlock/size + 2 {
				_ = fr.WriteContinuation(1, false, frag)
			}
		})
		var in inbound
		lim.Continuations = 1 << 20 // the byte budget, not the frame count, is under test
		in.init(lim)
		accepted := -len(preface)
		var err error
		for len(b) > 0 && err == nil {
			k := min(4096, len(b))
			_, err = in.scan(b[:k], time.Now())
			accepted += k
			b = b[k:]
		}
		if !errors.Is(err, ErrHeaderBlock) {
			t.Fatalf("frames of %d bytes: %v", size, err)
		}
		// Frame headers are 9 bytes each; the payloads passed are at most
		// the bound, and the refusal comes within a read of it.
		if accepted > lim.MaxHeaderBlock+(lim.MaxHeaderBlock/size+2)*9+4096+size {
			t.Errorf("frames of %d bytes: %d bytes scanned before the refusal", size, accepted)
		}
	}
	// A block of 30 KiB in 16 KiB frames is within the default bound.
	b := frames(t, func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: make([]byte, 16<<10)})
		_ = fr.WriteContinuation(1, true, make([]byte, 14<<10))
	})
	var in inbound
	in.init(lim)
	if _, err := in.scan(b, time.Now()); errors.Is(err, ErrHeaderBlock) {
		t.Errorf("a 30 KiB block was refused")
	}
}
