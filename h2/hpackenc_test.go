package h2

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h1"
	"golang.org/x/net/http2/hpack"
)

// encPool are fields a connection's responses draw from: some repeat (the
// encoder adds them), some vary by response (request ids, etags: their
// names are indexed), some are too large to add, some are secrets (never
// indexed), some have capitals.
var encPool = []h1.Header{
	{Name: []byte("Server"), Value: []byte("nginx/1.22.1")},
	{Name: []byte("content-type"), Value: []byte("text/plain")},
	{Name: []byte("Content-Type"), Value: []byte("text/html; charset=utf-8")},
	{Name: []byte("cache-control"), Value: []byte("max-age=60")},
	{Name: []byte("Vary"), Value: []byte("Accept-Encoding")},
	{Name: []byte("x-powered-by"), Value: []byte("PHP/8.2")},
	{Name: []byte("x-big"), Value: []byte(strings.Repeat("b", 600))},
	{Name: []byte("x-" + strings.Repeat("n", 300)), Value: []byte("v")},
	{Name: []byte("set-cookie"), Value: []byte("sid=secret")},
	{Name: []byte("x-empty"), Value: nil},
	{Name: []byte("Connection"), Value: []byte("close")}, // left out
}

// encField is the i-th field of a head: from the pool, or one of the
// varying kinds with a value of its own.
func encField(r *rand.Rand, n int) h1.Header {
	switch r.IntN(8) {
	case 0:
		return h1.Header{Name: []byte("Sluice-Request-Id"), Value: fmt.Appendf(nil, "0000-%012d", n), Kind: h1.HeaderSluiceRequestID}
	case 1:
		return h1.Header{Name: []byte("etag"), Value: fmt.Appendf(nil, `"%x"`, r.Uint64())}
	case 2:
		return h1.Header{Name: []byte("date"), Value: fmt.Appendf(nil, "Thu, 03 Dec 2026 21:%02d:%02d GMT", n/60%60, n%60)}
	case 3:
		return h1.Header{Name: fmt.Appendf(nil, "x-custom-%d", r.IntN(90)), Value: []byte("on")}
	}
	return encPool[r.IntN(len(encPool))]
}

// TestEncoderAgainstXNet encodes thousands of heads on one connection
// (random fields from encPool, the client's table size lowered now and
// then, the encoder's entries forgotten as a parked connection does) and
// decodes them in order with one x/net decoder, as a client does: every
// head decodes to its fields, a table size update opens the block after
// the client lowered its size (RFC 7541 §4.2), repeated heads shrink to a
// few bytes, and the encoder never holds more than its bound.
func TestEncoderAgainstXNet(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 7))
		e := &encoder{}
		d := hpack.NewDecoder(headerTableSize, nil)
		allowed := uint32(headerTableSize)
		owed := false
		for n := range 3000 {
			switch r.IntN(100) {
			case 0:
				e.release()
			case 1:
				if allowed > 0 {
					allowed = uint32(r.IntN(int(allowed)))
					d.SetAllowedMaxDynamicTableSize(allowed)
					e.peerTableSize(allowed)
					owed = true
				}
			}
			fs := make([]h1.Header, r.IntN(8))
			for i := range fs {
				fs[i] = encField(r, n)
			}
			b := e.begin(nil)
			if owed {
				if len(b) == 0 || b[0]&0xe0 != 0x20 {
					t.Fatalf("seed %d head %d: no table size update after the client lowered its size to %d", seed, n, allowed)
				}
				owed = false
			}
			b = appendStatus(b, 200)
			b, _ = e.appendFields(b, nil, fs)
			got, err := d.DecodeFull(b)
			if err != nil {
				t.Fatalf("seed %d head %d: x/net cannot decode %x: %v", seed, n, b, err)
			}
			want := []string{":status=200"}
			for _, f := range fs {
				if k := h1.ClassifyHeader(f.Name); !k.HopByHop() {
					want = append(want, string(lowerASCII(f.Name))+"="+string(f.Value))
				}
			}
			var gotS []string
			for _, f := range got {
				gotS = append(gotS, f.Name+"="+f.Value)
				if f.Name == "set-cookie" && !f.Sensitive {
					t.Fatalf("seed %d head %d: set-cookie not sent never-indexed", seed, n)
				}
			}
			if fmt.Sprint(gotS) != fmt.Sprint(want) {
				t.Fatalf("seed %d head %d: decoded %q, want %q", seed, n, gotS, want)
			}
			if t2 := e.t; t2 != nil && (t2.size > e.tableMax() || len(t2.buf) > 2*encTable || t2.next-t2.first > encRing) {
				t.Fatalf("seed %d head %d: the encoder holds %d (RFC size), %d bytes, %d entries", seed, n, t2.size, len(t2.buf), t2.next-t2.first)
			}
		}
	}
}

// TestEncoderIndexesRepeats: the second of two identical heads is sent
// from the dynamic table (one byte per repeated field), the request id's
// name is indexed once it was sent, and a connection whose client allows
// no table sends literals only.
func TestEncoderIndexesRepeats(t *testing.T) {
	head := func(id string) []h1.Header {
		return []h1.Header{{Name: []byte("Server"), Value: []byte("nginx/1.22.1")},
			{Name: []byte("Date"), Value: []byte("Thu, 03 Dec 2026 21:46:24 GMT")},
			{Name: []byte("Content-Type"), Value: []byte("text/plain")},
			{Name: []byte("Sluice-Request-Id"), Value: []byte(id), Kind: h1.HeaderSluiceRequestID}}
	}
	e := &encoder{}
	first, _ := e.appendFields(nil, nil, head("13b994b5-000000000001"))
	second, _ := e.appendFields(nil, nil, head("13b994b5-000000000002"))
	// three indexed fields, then the name's index (two bytes: a 4-bit
	// prefix) and a 21-byte value with its length
	if want := 3 + 2 + 1 + 21; len(second) != want {
		t.Errorf("the repeated head took %d bytes, want %d (first %d): %x", len(second), want, len(first), second)
	}
	none := &encoder{}
	none.peerTableSize(0)
	a, _ := none.appendFields(none.begin(nil), nil, head("a"))
	b, _ := none.appendFields(none.begin(nil), nil, head("a"))
	if a[0] != 0x20 || len(b) != len(a)-1 || none.t != nil {
		t.Errorf("with no table: %x then %x, table %v", a, b, none.t)
	}
}

// FuzzEncoder: any sequence of fields (names and values from the input,
// repeated or not), releases and table size changes decodes, with one
// x/net decoder, to the fields given.
func FuzzEncoder(f *testing.F) {
	f.Add([]byte("server\x00nginx\x01server\x00nginx\x02\x03x\x00y\x01"))
	f.Add([]byte("A\x00b\x04\x10c\x00dd\x05A\x00b"))
	f.Fuzz(func(t *testing.T, in []byte) {
		e := &encoder{}
		d := hpack.NewDecoder(headerTableSize, nil)
		allowed := uint32(headerTableSize)
		var fs []h1.Header
		for len(in) > 0 {
			op := in[0]
			in = in[1:]
			switch {
			case op == 0x04:
				e.release()
				continue
			case op == 0x05 && len(in) > 0:
				allowed = min(allowed, uint32(in[0])*20)
				in = in[1:]
				d.SetAllowedMaxDynamicTableSize(allowed)
				e.peerTableSize(allowed)
				continue
			case op > 0x05:
				// a field: name up to 0x00, value up to 0x01 (or the end)
				i := strings.IndexByte(string(in), 0)
				if i < 0 {
					return
				}
				name := append([]byte{op}, in[:i]...)
				in = in[i+1:]
				j := strings.IndexByte(string(in), 1)
				if j < 0 {
					j = len(in)
				}
				fs = append(fs, h1.Header{Name: name, Value: in[:j]})
				in = in[min(j+1, len(in)):]
				if len(fs) < 4 && len(in) > 0 {
					continue
				}
			}
			b, _ := e.appendFields(e.begin(nil), nil, fs)
			got, err := d.DecodeFull(b)
			if err != nil {
				t.Fatalf("x/net cannot decode %x: %v", b, err)
			}
			var want, gotS []string
			for _, f := range fs {
				if k := h1.ClassifyHeader(f.Name); !k.HopByHop() && k != h1.HeaderContentLength {
					want = append(want, string(lowerASCII(f.Name))+"="+string(f.Value))
				}
			}
			for _, f := range got {
				gotS = append(gotS, f.Name+"="+f.Value)
			}
			if fmt.Sprint(gotS) != fmt.Sprint(want) {
				t.Fatalf("decoded %q, want %q", gotS, want)
			}
			fs = fs[:0]
		}
	})
}

// TestSmallerClientTableGetsSizeUpdate: a client whose SETTINGS lower the
// header table below the 4 KiB in force (nghttp2's -c option, for one)
// gets a dynamic table size update no larger at the start of the next
// response head (RFC 7541 §4.2; nghttp2 ends the connection with
// COMPRESSION_ERROR without one), and only there; its responses decode.
func TestSmallerClientTableGetsSizeUpdate(t *testing.T) {
	ts := startServer(t, testOptions{plain: true})
	for _, size := range []uint32{0, 1024} {
		cl := ts.dial(t)
		cl.dec = hpack.NewDecoder(headerTableSize, nil)
		cl.dec.SetAllowedMaxDynamicTableSize(size)
		cl.write(appendSetting(appendFrameHeader(nil, 6, frameSettings, 0, 0), settingHeaderTableSize, size))
		var buf bytes.Buffer
		enc := hpack.NewEncoder(&buf)
		for i, id := range []uint32{1, 3, 5} {
			cl.write(headersFrame(nil, id, requestBlock(enc, &buf, "bench.test"), true))
			if !cl.response(id) || cl.hstatus != "200" {
				t.Fatalf("size %d, stream %d: ended badly, status %q", size, id, cl.hstatus)
			}
			// (the decoder refuses an update larger than size)
			update := cl.hblock[0]&0xe0 == 0x20
			if i == 0 && !update {
				t.Errorf("size %d: the first head starts %x, not a size update", size, cl.hblock[:min(4, len(cl.hblock))])
			}
			if i > 0 && update {
				t.Errorf("size %d, stream %d: a size update again", size, id)
			}
		}
	}
}
