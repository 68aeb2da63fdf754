package h2

import (
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/hpack"
)

// The connection's HPACK encoder (RFC 7541 §2.3, §6.2.1): a field a
// response repeats (server, content-type, cache-control, the date of the
// second) is added to the client's dynamic table the first time it is
// sent and goes as one byte afterwards; a field whose value changes with
// every response (the request id, an etag, a cookie) goes as a literal
// whose name is indexed. Heads are encoded under the connection's lock, in
// the order they are queued, since each one's indexes depend on the ones
// before.
//
// The encoder uses at most encTable bytes (RFC 7541 §4.1 sizes) of the
// client's table, which holds 4096 unless the client's
// SETTINGS_HEADER_TABLE_SIZE says less. What it tracks are always the
// newest entries of the client's table, so its indexes (counted from the
// newest) are the client's, whatever the client keeps beyond them: the
// encoder may forget its entries at any time (a parked connection drops
// them) and go on, and it never has to tell the client a size of its own.
// It does when the client lowers its setting below the size in force: the
// next block starts with a dynamic table size update (§6.3), as §4.2 asks.

const (
	// encTable is the most of the client's dynamic table the encoder
	// fills.
	encTable = 2048
	// encMaxEntry bounds an entry the encoder adds: a larger field would
	// push out many small ones.
	encMaxEntry = encTable / 4
	// encRing holds the entries: each costs at least 32, so encTable
	// holds at most encTable/32 of them.
	encRing = encTable / 32
)

// encoder is a connection's HPACK encoding state; the zero encoder is
// ready (the client's table is 4096, as RFC 9113 §6.5.2 starts it).
// Owned by the connection, used under its mu.
type encoder struct {
	// dmax is the client's table size in force (the default 4096 until a
	// size update lowers it); update is set when the next block must
	// start with one saying dmax.
	dmax    int
	lowered bool // dmax was set by the client (else 4096)
	update  bool
	t       *encEntries // nil until the first field is added, and after release
}

// encEntries are the entries the encoder added and still counts on.
type encEntries struct {
	max   int    // RFC size the entries may take: min(encTable, dmax)
	size  int    // RFC size they take
	buf   []byte // names and values, oldest first from ring[first].off
	first uint32 // sequence number of the oldest entry held
	next  uint32 // sequence number of the next one added
	ring  [encRing]encEntry
	// byStatic is, for a name of the static table, the sequence number + 1
	// of the newest entry with it (0: none); the others with it are
	// chained from there through prev.
	byStatic [62]uint32
}

// encEntry is an entry: its name and value at buf[off:], the name's index
// in the static table (0: not there) and the sequence number + 1 of the
// entry before it with that static name.
type encEntry struct {
	off, nlen, vlen uint16
	sidx            uint8
	prev            uint32
}

// tableMax is the client's table size the encoder may fill.
func (e *encoder) tableMax() int {
	if !e.lowered {
		return min(encTable, headerTableSize)
	}
	return min(encTable, e.dmax)
}

// peerTableSize applies the client's SETTINGS_HEADER_TABLE_SIZE: below
// the size in force, the next block says the new size, and the entries
// beyond it are dropped. A larger one is not used.
func (e *encoder) peerTableSize(v uint32) {
	cur := headerTableSize
	if e.lowered {
		cur = e.dmax
	}
	if int64(v) >= int64(cur) {
		return
	}
	e.dmax, e.lowered, e.update = int(v), true, true
	if t := e.t; t != nil {
		t.max = e.tableMax()
		t.evict(0)
	}
}

// release forgets the entries (a parked connection keeps no table): the
// client keeps them, the encoder no longer counts on them.
func (e *encoder) release() { e.t = nil }

// begin starts a header block: with the size update the client is owed.
func (e *encoder) begin(b []byte) []byte {
	if e.update {
		e.update = false
		b = hpack.AppendInt(b, 0x20, 5, e.dmax)
	}
	return b
}

// appendFields appends the fields of a head or trailers, leaving out the
// connection-specific ones (HTTP/2 has none) and Content-Length (the
// head's own is written from its ContentLength), names lowered (into
// scratch, when they have capitals).
func (e *encoder) appendFields(b, scratch []byte, fs []h1.Header) ([]byte, []byte) {
	for i := range fs {
		f := &fs[i]
		k := f.Kind
		if k == h1.HeaderOther {
			k = h1.ClassifyHeader(f.Name)
		}
		if k.HopByHop() || k == h1.HeaderContentLength || len(f.Name) == 0 {
			continue
		}
		var name []byte
		name, scratch = hpack.LowerName(scratch, f.Name)
		b = e.appendField(b, name, f.Value, k)
	}
	return b, scratch
}

// appendField appends one field, its name lower case. A field already in
// the table is found first, whatever its kind (an etag sent again on the
// connection is one byte too).
func (e *encoder) appendField(b, name, value []byte, k h1.HeaderKind) []byte {
	sidx := hpack.StaticIndex(name)
	idx := sidx
	t := e.t
	if t != nil {
		i, pair := t.find(name, value, sidx)
		if pair {
			return hpack.AppendInt(b, 0x80, 7, i)
		}
		if idx == 0 {
			idx = i
		}
	}
	max := e.tableMax()
	if secret := hpack.Sensitive(name); secret || max == 0 {
		return hpack.AppendLiteral(b, idx, name, value, secret)
	}
	varies := variesByResponse(k, name)
	if (varies && idx != 0) || len(name)+len(value)+32 > min(encMaxEntry, max) {
		// Its value will not come again, or it is too large.
		return hpack.AppendLiteral(b, idx, name, value, false)
	}
	// A literal added to the table (a varying field whose name is not
	// there yet is added once, for its name).
	if idx != 0 {
		b = hpack.AppendInt(b, 0x40, 6, idx)
	} else {
		b = hpack.AppendString(append(b, 0x40), name)
	}
	b = hpack.AppendString(b, value)
	if t == nil {
		t = &encEntries{max: max}
		e.t = t
	}
	t.add(name, value, sidx)
	return b
}

// variesByResponse reports fields whose value is unlikely to come again
// on the connection: adding them would push out the ones that do.
func variesByResponse(k h1.HeaderKind, name []byte) bool {
	switch k {
	case h1.HeaderSluiceRequestID, h1.HeaderXRequestID, h1.HeaderTraceparent, h1.HeaderTracestate:
		return true
	}
	switch string(name) {
	case "etag", "last-modified", "age", "expires", "location", "content-range",
		"content-disposition", "content-md5", "digest", "set-cookie":
		return true
	}
	return false
}

// held reports whether the entry numbered seq is held.
func (t *encEntries) held(seq uint32) bool { return t.next-1-seq < t.next-t.first }

// index is the table index of the held entry numbered seq (RFC 7541 §2.3.3).
func (t *encEntries) index(seq uint32) int { return 62 + int(t.next-1-seq) }

// find looks for a held entry with name and value: its index and true,
// or the index of one with name (0: none, or name is the static table's
// sidx) and false. An entry with a static name is found along its name's
// chain; others by their name, newest first.
func (t *encEntries) find(name, value []byte, sidx int) (int, bool) {
	if sidx != 0 {
		for s := t.byStatic[sidx]; s != 0 && t.held(s-1); {
			en := &t.ring[(s-1)%encRing]
			if int(en.sidx) == sidx && string(t.value(en)) == string(value) {
				return t.index(s - 1), true
			}
			s = en.prev
		}
		return 0, false
	}
	named := 0
	for seq := t.next - 1; t.held(seq); seq-- {
		en := &t.ring[seq%encRing]
		if en.sidx != 0 || int(en.nlen) != len(name) || string(t.buf[en.off:int(en.off)+len(name)]) != string(name) {
			continue
		}
		if string(t.value(en)) == string(value) {
			return t.index(seq), true
		}
		if named == 0 {
			named = t.index(seq)
		}
	}
	return named, false
}

// value is en's value.
func (t *encEntries) value(en *encEntry) []byte {
	v := int(en.off) + int(en.nlen)
	return t.buf[v : v+int(en.vlen)]
}

// add appends an entry, evicting the oldest as the client does (RFC 7541
// §4.4); the caller checked that it fits in max.
func (t *encEntries) add(name, value []byte, sidx int) {
	size := len(name) + len(value) + 32
	t.evict(size)
	if len(t.buf)+len(name)+len(value) > 2*encTable {
		t.compact()
	}
	off := len(t.buf)
	t.buf = append(append(t.buf, name...), value...)
	seq := t.next
	t.next++
	en := encEntry{off: uint16(off), nlen: uint16(len(name)), vlen: uint16(len(value)), sidx: uint8(sidx)}
	if sidx != 0 {
		en.prev, t.byStatic[sidx] = t.byStatic[sidx], seq+1
	}
	t.ring[seq%encRing] = en
	t.size += size
}

// evict drops the oldest entries until room more fits in max.
func (t *encEntries) evict(room int) {
	for t.first != t.next && t.size+room > t.max {
		en := t.ring[t.first%encRing]
		t.size -= int(en.nlen) + int(en.vlen) + 32
		t.first++
	}
	if t.first == t.next {
		t.buf = t.buf[:0]
	}
}

// compact moves the held entries' bytes to the front of buf. They take
// at most encTable - 32 per entry, so after it at least encTable of the
// 2*encTable are free.
func (t *encEntries) compact() {
	base := int(t.ring[t.first%encRing].off)
	n := copy(t.buf, t.buf[base:])
	t.buf = t.buf[:n]
	for s := t.first; s != t.next; s++ {
		t.ring[s%encRing].off -= uint16(base)
	}
}
