package h2

import (
	"encoding/binary"
	"sync"
)

// A parked connection keeps its HPACK dynamic table (the client's next
// request may name its entries) but not the decoder's buffers: park packs
// the entries into one compact record, exactly their size, and gives the
// ring of slots (4 KiB for the 4 KiB table the server announces, plus each
// slot's buffer) and the Huffman scratch buffer to a pool; unpark takes a
// ring from the pool and unpacks the record into it, and a new
// connection's decoder starts with one from there too (connections opened
// while others park reuse their rings rather than leave them in the pool
// until a collection). A connection busy between parks decodes as before,
// allocating nothing.

// decoderBufs are a parked decoder's buffers, waiting in ringPool for the
// next decoder that wakes.
type decoderBufs struct {
	ents []dynEntry
	huf  []byte
}

// ringPool holds the rings of decoders whose table can hold
// headerTableSize bytes (every connection's: see newConn).
var ringPool sync.Pool

// pooledEntryMax is the largest buffer of a ring's slot, or Huffman
// buffer, that goes to the pool with it: at most 129 × 512 bytes wait
// there per ring.
const pooledEntryMax = 512

// ringLen is the number of slots of the ring of a table of max bytes.
func ringLen(max int) int { return max/32 + 1 }

// park packs the dynamic table into d.packed and lets the ring and the
// Huffman buffer go. The decoder decodes nothing until unpark.
func (d *decoder) park() {
	if d.ents == nil {
		return
	}
	n := 0
	for i := range d.n {
		e := &d.ents[(d.head-i+len(d.ents))%len(d.ents)]
		n += uvarintLen(e.nlen) + uvarintLen(len(e.b)-e.nlen) + len(e.b)
	}
	var rec []byte
	if n > 0 {
		rec = make([]byte, 0, n)
	}
	for i := d.n - 1; i >= 0; i-- { // the oldest first
		e := &d.ents[(d.head-i+len(d.ents))%len(d.ents)]
		rec = binary.AppendUvarint(rec, uint64(e.nlen))
		rec = binary.AppendUvarint(rec, uint64(len(e.b)-e.nlen))
		rec = append(rec, e.b...)
	}
	if len(d.ents) == ringLen(headerTableSize) {
		// A slot keeps a buffer of up to 4 KiB (see add): a client that
		// sent large fields one after the other leaves hundreds of KiB in
		// a ring; the pool keeps the small ones.
		for i := range d.ents {
			if cap(d.ents[i].b) > pooledEntryMax {
				d.ents[i].b = nil
			}
		}
		huf := d.huf.b[:0]
		if cap(huf) > pooledEntryMax {
			huf = nil
		}
		ringPool.Put(&decoderBufs{ents: d.ents, huf: huf})
	}
	d.packed, d.ents, d.huf.b, d.head = rec, nil, nil, 0
}

// unpark gives a parked decoder a ring again, with the entries it had.
func (d *decoder) unpark() {
	if d.ents != nil {
		return
	}
	size := ringLen(d.max)
	if size == ringLen(headerTableSize) {
		if b, _ := ringPool.Get().(*decoderBufs); b != nil {
			d.ents, d.huf.b = b.ents, b.huf
		}
	}
	if d.ents == nil {
		d.ents = make([]dynEntry, size)
	}
	rec := d.packed
	for i := range d.n { // slot i holds the i-th oldest entry; the newest is at head
		nlen, k := binary.Uvarint(rec)
		rec = rec[k:]
		vlen, k := binary.Uvarint(rec)
		rec = rec[k:]
		e := &d.ents[i]
		e.b = append(e.b[:0], rec[:nlen+vlen]...)
		e.nlen = int(nlen)
		rec = rec[nlen+vlen:]
	}
	d.head = max(d.n-1, 0)
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
