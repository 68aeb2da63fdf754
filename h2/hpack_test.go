package h2

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/net/http2/hpack"
)

// TestDecoderAgainstXNetEncoder: blocks written by x/net's encoder (its
// dynamic table, Huffman coding, never-indexed fields, table size
// updates) decode to the fields written, block after block.
func TestDecoderAgainstXNetEncoder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	var got [][2]string
	dec := newDecoder(headerTableSize, func(name, value []byte) {
		got = append(got, [2]string{string(name), string(value)})
	})
	names := []string{":method", ":path", ":authority", "user-agent", "cookie", "x-a", "x-b", "accept-encoding",
		"content-type", "x-long"}
	for round := range 3000 {
		buf.Reset()
		if round%97 == 0 {
			enc.SetMaxDynamicTableSize(uint32(rng.Intn(headerTableSize + 1)))
		}
		var want [][2]string
		for range rng.Intn(12) {
			name := names[rng.Intn(len(names))]
			value := fmt.Sprintf("v%d", rng.Intn(40))
			switch rng.Intn(5) {
			case 0:
				value = string(bytes.Repeat([]byte{byte('a' + rng.Intn(26))}, rng.Intn(3000)))
			case 1:
				value = "gzip, deflate"
			case 2:
				value = string([]byte{0xfe, 0x80, byte(rng.Intn(256))})
			}
			want = append(want, [2]string{name, value})
			_ = enc.WriteField(hpack.HeaderField{Name: name, Value: value, Sensitive: rng.Intn(7) == 0})
		}
		got = got[:0]
		if err := dec.decode(buf.Bytes()); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: got %q, want %q", round, got, want)
		}
	}
}

// TestDecoderRefusesMalformedBlocks: RFC 7541's decoding errors.
func TestDecoderRefusesMalformedBlocks(t *testing.T) {
	for name, b := range map[string][]byte{
		"index 0":                        {0x80},
		"index past the tables":          {0x80 | 62},
		"literal name index past tables": {0x40 | 62, 0x01, 'a'},
		"size update after a field":      {0x82, 0x20},
		"size update over the setting":   {0x3f, 0xe2, 0x1f}, // 4097
		"truncated integer":              {0xff, 0x80},
		"huge integer":                   {0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		"truncated string":               {0x00, 0x05, 'a', 'b'},
		"Huffman EOS":                    {0x00, 0x81, 0xff, 0x00},
		"Huffman padding of zeros":       {0x00, 0x81, 0x00, 0x00},
	} {
		dec := newDecoder(headerTableSize, func(name, value []byte) {})
		if err := dec.decode(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	// Size updates at the start are allowed, several of them.
	dec := newDecoder(headerTableSize, func(name, value []byte) {})
	if err := dec.decode([]byte{0x20, 0x3f, 0xe1, 0x1f, 0x82}); err != nil {
		t.Errorf("size updates at the start: %v", err)
	}
}

// TestDecoderAllocatesNothing: literals, Huffman-coded or not, indexed or
// not, decode without allocating once the table's buffers have grown.
func TestDecoderAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for i := range 200 {
		_ = enc.WriteField(hpack.HeaderField{Name: "x-path", Value: fmt.Sprintf("/some/path/%d", i)})
		_ = enc.WriteField(hpack.HeaderField{Name: "x-secret", Value: "value", Sensitive: true})
		_ = enc.WriteField(hpack.HeaderField{Name: ":method", Value: "GET"})
	}
	blocks := buf.Bytes()
	dec := newDecoder(headerTableSize, func(name, value []byte) {})
	if err := dec.decode(blocks); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		dec.head, dec.n, dec.used, dec.w = 0, 0, 0, 0 // the same blocks again, on an empty table
		if err := dec.decode(blocks); err != nil {
			t.Fatal(err)
		}
	}); n > 0 {
		t.Errorf("%.1f allocations per %d fields", n, 600)
	}
}

// TestDecoderMemoryBounded: a client that adds large fields to the
// dynamic table one after the other, each evicting the one before, and
// sends large Huffman-coded values, leaves the decoder holding a bounded
// amount of memory (its two table buffers, a Huffman buffer of at most
// hufKeepMax and one name), not a buffer per slot of its ring (once 129 ×
// 4 KiB), and every field decodes as sent.
func TestDecoderMemoryBounded(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	var got []string
	dec := newDecoder(headerTableSize, func(name, value []byte) { got = append(got, string(name)+"="+string(value)) })
	held := func() int {
		return cap(dec.buf) + cap(dec.ents)*int(unsafe.Sizeof(dynEntry{})) + cap(dec.huf.b) + cap(dec.join)
	}
	bound := 2*headerTableSize + ringLen(headerTableSize)*int(unsafe.Sizeof(dynEntry{})) + hufKeepMax + headerTableSize
	most := 0
	for i := range 400 {
		buf.Reset()
		name := fmt.Sprintf("x-big-%d", i%7)
		value := strings.Repeat(string(rune('a'+i%26)), 3000+i%1000) // Huffman-coded by x/net: shorter
		if i%3 == 0 {
			value = strings.Repeat("a", 20000+i) // over the table size: never indexed
		}
		_ = enc.WriteField(hpack.HeaderField{Name: name, Value: value})
		got = got[:0]
		if err := dec.decode(buf.Bytes()); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if len(got) != 1 || got[0] != name+"="+value {
			t.Fatalf("block %d: decoded %d fields, not %s", i, len(got), name)
		}
		most = max(most, held())
	}
	if most > bound {
		t.Errorf("the decoder held up to %d bytes, want at most %d", most, bound)
	}
}

// FuzzDecoder: header blocks (the input cut into up to three, decoded in
// turn on one table) decode as x/net's decoder decodes them: what x/net
// refuses is refused, and what is decoded is what x/net decodes, field by
// field. (The decoder may refuse more: integers with more than four
// continuation bytes.)
func FuzzDecoder(f *testing.F) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for i := range 6 {
		_ = enc.WriteField(hpack.HeaderField{Name: "x-a", Value: strings.Repeat("v", i*40)})
		_ = enc.WriteField(hpack.HeaderField{Name: ":path", Value: fmt.Sprintf("/%d", i)})
	}
	f.Add(buf.Bytes(), uint16(3), uint16(900))
	f.Add([]byte{0x3f, 0xe1, 0x1f, 0x82, 0x40, 0x01, 'a', 0x01, 'b', 0xbe}, uint16(0), uint16(5))
	f.Add([]byte{0x40, 0x81, 0xff, 0x00}, uint16(1), uint16(2))
	f.Fuzz(func(t *testing.T, in []byte, cut1, cut2 uint16) {
		a, b := min(int(cut1), len(in)), min(int(cut2), len(in))
		if a > b {
			a, b = b, a
		}
		var got []string
		dec := newDecoder(headerTableSize, func(name, value []byte) { got = append(got, string(name)+"\x00"+string(value)) })
		ref := hpack.NewDecoder(headerTableSize, nil)
		for i, block := range [][]byte{in[:a], in[a:b], in[b:]} {
			got = got[:0]
			err := dec.decode(block)
			want, refErr := ref.DecodeFull(block)
			if refErr != nil {
				if err == nil {
					t.Fatalf("block %d (%x): decoded, x/net refuses it: %v", i, block, refErr)
				}
				return // the connection would end here
			}
			if err != nil {
				return // refused what x/net takes: allowed (see above)
			}
			if len(got) != len(want) {
				t.Fatalf("block %d (%x): %d fields, x/net %d", i, block, len(got), len(want))
			}
			for j, w := range want {
				if got[j] != w.Name+"\x00"+w.Value {
					t.Fatalf("block %d (%x) field %d: %q, x/net %q", i, block, j, got[j], w.Name+"\x00"+w.Value)
				}
			}
		}
	})
}
