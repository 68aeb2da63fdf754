package h2

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// TestDecoderParkKeepsTheTable: a decoder parked and woken between header
// blocks decodes every block as one that never parks, whatever the table
// holds when it parks (empty, full, wrapped around its ring, shrunk by a
// size update); a parked decoder keeps no ring.
func TestDecoderParkKeepsTheTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	var got, want []string
	steady := newDecoder(headerTableSize, func(n, v []byte) { want = append(want, string(n)+": "+string(v)) })
	parking := newDecoder(headerTableSize, func(n, v []byte) { got = append(got, string(n)+": "+string(v)) })
	names := []string{"x-a", "x-b", "cookie", "user-agent", ":path", "x-long"}
	for i := range 400 {
		hb.Reset()
		if i%97 == 50 { // a size update, then back to the full size
			enc.SetMaxDynamicTableSize(uint32(rng.IntN(headerTableSize)))
			enc.SetMaxDynamicTableSize(headerTableSize)
		}
		for range 1 + rng.IntN(6) {
			name := names[rng.IntN(len(names))]
			value := fmt.Sprint(rng.IntN(8))
			if name == "x-long" {
				value = string(bytes.Repeat([]byte{'v'}, rng.IntN(900)))
			}
			_ = enc.WriteField(hpack.HeaderField{Name: name, Value: value, Sensitive: rng.IntN(10) == 0})
		}
		got, want = got[:0], want[:0]
		if err := steady.decode(hb.Bytes()); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if err := parking.decode(hb.Bytes()); err != nil {
			t.Fatalf("block %d, after a park: %v", i, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("block %d after a park: %q, want %q", i, got, want)
		}
		parking.park()
		if i%5 == 0 {
			parking.park() // twice is once
		}
		if parking.ents != nil || parking.buf != nil || parking.huf.b != nil {
			t.Fatal("a parked decoder keeps its table's buffers or its Huffman buffer")
		}
		if parking.n != steady.n || parking.used != steady.used {
			t.Fatalf("block %d: parked with %d entries (%d bytes), want %d (%d)", i, parking.n, parking.used, steady.n, steady.used)
		}
		parking.unpark()
		if i%7 == 0 {
			parking.unpark() // twice is once
		}
	}
}

// BenchmarkDecoderParkWake is what a parked connection's decoder costs at
// each park and wake, with a typical browser's table.
func BenchmarkDecoderParkWake(b *testing.B) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	d := newDecoder(headerTableSize, func(n, v []byte) {})
	for _, f := range [][2]string{{"user-agent", string(bytes.Repeat([]byte{'u'}, 120))}, {"accept", "text/html,application/xhtml+xml"},
		{"accept-language", "en-GB,en;q=0.9"}, {"cookie", string(bytes.Repeat([]byte{'c'}, 300))}, {":authority", "example.com"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := d.decode(hb.Bytes()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d.park()
		d.unpark()
	}
}
