package h2

import (
	"encoding/binary"
	"sync"
)

// A parked connection keeps its HPACK dynamic table (the client's next
// request may name its entries) but not the decoder's buffers: park packs
// the entries into one compact record, exactly their size, and gives the
// table's buffers (the entries' bytes, 8 KiB for the 4 KiB table the
// server announces, and the ring of their places, 1.5 KiB) and the
// Huffman scratch buffer to a pool; unpark takes them from the pool and
// unpacks the record into them, and a new connection's decoder starts
// with buffers from there too (connections opened while others park reuse
// them rather than leave them in the pool until a collection). A
// connection busy between parks decodes as before, allocating nothing.

// decoderBufs are a parked decoder's buffers, waiting in ringPool for the
// next decoder that wakes.
type decoderBufs struct {
	buf  []byte
	ents []dynEntry
	huf  []byte
}

// ringPool holds the buffers of decoders whose table can hold
// headerTableSize bytes (every connection's: see newConn).
var ringPool sync.Pool

// pooledHufMax is the largest Huffman scratch buffer that goes to the pool
// with a decoder's other buffers.
const pooledHufMax = 512

// hufKeepMax is the largest Huffman scratch buffer an active decoder keeps
// after a header block: a client that sends one large Huffman-coded field
// does not leave the connection holding its size.
const hufKeepMax = 16 << 10

// ringLen is the number of slots of the ring of a table of max bytes.
func ringLen(max int) int { return max/32 + 1 }

// park packs the dynamic table into d.packed and lets its buffers and the
// Huffman buffer go. The decoder decodes nothing until unpark.
func (d *decoder) park() {
	if d.ents == nil {
		return
	}
	n := 0
	for i := range d.n {
		e := d.ents[(d.head-i+len(d.ents))%len(d.ents)]
		n += uvarintLen(int(e.nlen)) + uvarintLen(int(e.vlen)) + int(e.nlen+e.vlen)
	}
	var rec []byte
	if n > 0 {
		rec = make([]byte, 0, n)
	}
	for i := d.n - 1; i >= 0; i-- { // the oldest first
		e := d.ents[(d.head-i+len(d.ents))%len(d.ents)]
		rec = binary.AppendUvarint(rec, uint64(e.nlen))
		rec = binary.AppendUvarint(rec, uint64(e.vlen))
		rec = append(rec, d.buf[e.off:e.off+e.nlen+e.vlen]...)
	}
	if d.max == headerTableSize {
		huf := d.huf.b[:0]
		if cap(huf) > pooledHufMax {
			huf = nil
		}
		ringPool.Put(&decoderBufs{buf: d.buf, ents: d.ents, huf: huf})
	}
	d.packed, d.buf, d.ents, d.huf.b, d.join, d.head, d.w = rec, nil, nil, nil, nil, 0, 0
}

// unpark gives a parked decoder its buffers again, with the entries it had.
func (d *decoder) unpark() {
	if d.ents != nil {
		return
	}
	if d.max == headerTableSize {
		if b, _ := ringPool.Get().(*decoderBufs); b != nil {
			d.buf, d.ents, d.huf.b = b.buf, b.ents, b.huf
		}
	}
	if d.ents == nil {
		d.ents = make([]dynEntry, ringLen(d.max))
	}
	rec := d.packed
	n := d.n
	d.n, d.head, d.w = 0, len(d.ents)-1, 0
	for range n { // the oldest first
		nlen, k := binary.Uvarint(rec)
		rec = rec[k:]
		vlen, k := binary.Uvarint(rec)
		rec = rec[k:]
		d.place(rec[:nlen], rec[nlen:nlen+vlen])
		rec = rec[nlen+vlen:]
	}
	d.packed = nil
}

// uvarintLen is the length of v as a uvarint.
func uvarintLen(v int) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}
