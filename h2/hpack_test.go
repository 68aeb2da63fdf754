package h2

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

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
		dec.head, dec.n, dec.used = 0, 0, 0 // the same blocks again, on an empty table
		if err := dec.decode(blocks); err != nil {
			t.Fatal(err)
		}
	}); n > 0 {
		t.Errorf("%.1f allocations per %d fields", n, 600)
	}
}
