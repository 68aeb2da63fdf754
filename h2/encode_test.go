package h2

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h1"
	ourhpack "github.com/sluiceproxy/sluice/internal/hpack"
	"golang.org/x/net/http2/hpack"
)

// decodeBlock decodes a header block with x/net's decoder.
func decodeBlock(t testing.TB, block []byte) []hpack.HeaderField {
	t.Helper()
	fs, err := hpack.NewDecoder(headerTableSize, nil).DecodeFull(block)
	if err != nil {
		t.Fatalf("x/net cannot decode %x: %v", block, err)
	}
	return fs
}

// TestStaticIndexMatchesTheTable: hpack.StaticIndex gives, for every name of
// RFC 7541's static table (read back through x/net's decoder, one indexed
// field per entry), the first entry with that name, and 0 for others.
func TestStaticIndexMatchesTheTable(t *testing.T) {
	first := map[string]int{}
	for i := 1; i <= 61; i++ {
		fs := decodeBlock(t, []byte{0x80 | byte(i)})
		if _, ok := first[fs[0].Name]; !ok {
			first[fs[0].Name] = i
		}
	}
	if len(first) != 52 {
		t.Fatalf("%d distinct names in the static table, want 52", len(first))
	}
	for name, i := range first {
		if got := ourhpack.StaticIndex([]byte(name)); got != i {
			t.Errorf("ourhpack.StaticIndex(%q) = %d, want %d", name, got, i)
		}
	}
	for _, name := range []string{"", "x-request-id", "dates", "dat", "Content-Type", ":statu", "server "} {
		if got := ourhpack.StaticIndex([]byte(name)); got != 0 {
			t.Errorf("ourhpack.StaticIndex(%q) = %d, want 0", name, got)
		}
	}
}

// TestEncodeAgainstXNetDecoder: response heads written by appendStatus,
// appendFields and hpack.AppendContentLength decode, with x/net's decoder, to
// the fields given: names lowered, hop-by-hop fields and Content-Length
// left out of the fields (the head's own length is written), lengths past
// one byte of prefix, empty and non-ASCII values.
func TestEncodeAgainstXNetDecoder(t *testing.T) {
	long := strings.Repeat("v", 300)
	cases := []struct {
		status int
		fields []h1.Header
		length int64 // -1: none
		want   []string
	}{
		{200, nil, 0, []string{":status=200", "content-length=0"}},
		{201, []h1.Header{{Name: []byte("Date"), Value: []byte("Thu, 03 Dec 2026 18:40:00 GMT")},
			{Name: []byte("Content-Type"), Value: []byte("text/plain; charset=utf-8")}}, 13,
			[]string{":status=201", "date=Thu, 03 Dec 2026 18:40:00 GMT", "content-type=text/plain; charset=utf-8",
				"content-length=13"}},
		{404, []h1.Header{{Name: []byte("X-Request-Id"), Value: []byte("abc")}, {Name: []byte("X-Empty"), Value: nil},
			{Name: []byte("Connection"), Value: []byte("close")}, {Name: []byte("Content-Length"), Value: []byte("7")},
			{Name: []byte("Set-Cookie"), Value: []byte("a=1")}, {Name: []byte("set-cookie"), Value: []byte("b=2")}}, -1,
			[]string{":status=404", "x-request-id=abc", "x-empty=", "set-cookie=a=1", "set-cookie=b=2"}},
		{999, []h1.Header{{Name: []byte("X-" + strings.Repeat("N", 200)), Value: []byte(long)},
			{Name: []byte("Server"), Value: []byte{'a', 0x80, 0xff, '\t', 'b'}}}, 1 << 40,
			[]string{":status=999", "x-" + strings.Repeat("n", 200) + "=" + long, "server=a\x80\xff\tb",
				"content-length=1099511627776"}},
		{42, nil, -1, []string{":status=500"}},
	}
	for _, mode := range []string{"literals only", "dynamic table"} {
		for _, c := range cases {
			e := &encoder{}
			if mode == "literals only" {
				e.peerTableSize(0)
			}
			b := e.begin(nil)
			b = appendStatus(b, c.status)
			b, _ = e.appendFields(b, nil, c.fields)
			if c.length >= 0 {
				b = ourhpack.AppendContentLength(b, c.length)
			}
			var got []string
			for _, f := range decodeBlock(t, b) {
				got = append(got, f.Name+"="+f.Value)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s, status %d: decoded %q, want %q", mode, c.status, got, c.want)
			}
		}
	}
}

// FuzzEncodeField: any name and value the encoder writes decodes, with
// x/net's decoder, to the name lowered and the value as given: alone, and
// twice in a row on one connection (the second from the dynamic table).
func FuzzEncodeField(f *testing.F) {
	f.Add([]byte("Content-Type"), []byte("text/html"))
	f.Add([]byte("x-long"), bytes.Repeat([]byte("z"), 130))
	f.Add([]byte(""), []byte{0, 0xff})
	f.Fuzz(func(t *testing.T, name, value []byte) {
		if len(name)+len(value) > 1<<16 {
			return
		}
		if len(name) == 0 {
			return // appendFields leaves nameless fields out
		}
		e := &encoder{}
		d := hpack.NewDecoder(headerTableSize, nil)
		for i := range 2 {
			b, _ := e.appendFields(e.begin(nil), nil, []h1.Header{{Name: name, Value: value}})
			fs, err := d.DecodeFull(b)
			if len(fs) != 1 || fs[0].Name != string(lowerASCII(name)) || fs[0].Value != string(value) || err != nil {
				k := h1.ClassifyHeader(name)
				if k.HopByHop() || k == h1.HeaderContentLength {
					return // left out
				}
				t.Fatalf("field (%q, %q), time %d: decoded to %q, %v", name, value, i+1, fs, err)
			}
		}
	})
}

// lowerASCII is name with its ASCII capitals lowered, other bytes kept
// (bytes.ToLower would rewrite bytes that are not UTF-8).
func lowerASCII(name []byte) []byte {
	out := make([]byte, len(name))
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
