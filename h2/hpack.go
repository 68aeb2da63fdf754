package h2

import (
	"errors"
	"unsafe"

	"golang.org/x/net/http2/hpack"
)

// decoder is an HPACK decoder (RFC 7541) for request header blocks. It
// decodes a whole block at once and hands each field to emit as byte
// slices of the block, of its dynamic table or of a scratch buffer, valid
// until emit returns; once its buffers have grown it allocates nothing
// (x/net's decoder makes a string of every literal). Huffman decoding is
// x/net's.
type decoder struct {
	max  int // the dynamic table size the server announced: the most an update may ask
	size int // the dynamic table's maximum size now
	used int // the size of its entries (RFC 7541 §4.1)
	// The dynamic table: the entries' bytes in buf (2×max bytes, see add),
	// their places in ents, a ring with the newest at head and one slot
	// more than entries can fill; w is where the next entry's bytes go.
	buf  []byte
	ents []dynEntry
	head int
	n    int
	w    int
	huf  hufBuf
	join []byte // a name taken from buf while an entry is added (see add)
	emit func(name, value []byte)
	// packed holds the entries, the oldest first, while the connection is
	// parked and ents is nil (see hpack_park.go).
	packed []byte
}

// dynEntry is where one entry of the dynamic table lies in decoder.buf:
// its name, then its value.
type dynEntry struct{ off, nlen, vlen int32 }

// hufBuf collects Huffman-decoded bytes.
type hufBuf struct{ b []byte }

func (h *hufBuf) Write(p []byte) (int, error) { h.b = append(h.b, p...); return len(p), nil }

var (
	errHPACKIndex   = errors.New("hpack: index out of the tables")
	errHPACKInt     = errors.New("hpack: integer too large or truncated")
	errHPACKString  = errors.New("hpack: string truncated")
	errHPACKResize  = errors.New("hpack: dynamic table size update out of place or over the limit")
	errHPACKHuffman = errors.New("hpack: invalid Huffman string")
)

// newDecoder returns a decoder whose dynamic table holds max bytes at
// most, with a ring a parked decoder gave back when one waits (see
// hpack_park.go).
func newDecoder(max int, emit func(name, value []byte)) *decoder {
	d := &decoder{max: max, size: max, emit: emit}
	d.unpark()
	return d
}

// decode decodes one whole header block.
func (d *decoder) decode(p []byte) error {
	err := d.fields(p)
	if cap(d.huf.b) > hufKeepMax {
		d.huf.b = nil
	}
	return err
}

// fields decodes the fields of a header block.
func (d *decoder) fields(p []byte) error {
	first := true
	for len(p) > 0 {
		b := p[0]
		var err error
		switch {
		case b&0x80 != 0: // indexed (§6.1)
			var idx int
			if idx, p, err = readInt(p, 7); err != nil {
				return err
			}
			name, value, ok := d.at(idx)
			if !ok {
				return errHPACKIndex
			}
			d.emit(name, value)
		case b&0xc0 == 0x40: // literal with incremental indexing (§6.2.1)
			var name, value []byte
			if name, value, p, err = d.literal(p, 6); err != nil {
				return err
			}
			d.emit(name, value)
			d.add(name, value)
		case b&0xe0 == 0x20: // dynamic table size update (§6.3), only first
			if !first {
				return errHPACKResize
			}
			var v int
			if v, p, err = readInt(p, 5); err != nil {
				return err
			}
			if v > d.max {
				return errHPACKResize
			}
			d.size = v
			d.evict(0)
			continue
		default: // literal without indexing, never indexed (§6.2.2, §6.2.3)
			var name, value []byte
			if name, value, p, err = d.literal(p, 4); err != nil {
				return err
			}
			d.emit(name, value)
		}
		first = false
	}
	return nil
}

// literal reads a literal field whose name index has an n-bit prefix.
func (d *decoder) literal(p []byte, n uint) (name, value, rest []byte, err error) {
	var idx int
	if idx, p, err = readInt(p, n); err != nil {
		return nil, nil, nil, err
	}
	d.huf.b = d.huf.b[:0]
	nameAt := -1 // where a Huffman-coded name starts in d.huf.b
	if idx > 0 {
		var ok bool
		if name, _, ok = d.at(idx); !ok {
			return nil, nil, nil, errHPACKIndex
		}
	} else {
		var huff bool
		if name, huff, p, err = readString(p); err != nil {
			return nil, nil, nil, err
		}
		if huff {
			nameAt = 0
			if _, err := hpack.HuffmanDecode(&d.huf, name); err != nil {
				return nil, nil, nil, errHPACKHuffman
			}
		}
	}
	nameEnd := len(d.huf.b)
	value, huff, p, err := readString(p)
	if err != nil {
		return nil, nil, nil, err
	}
	if huff {
		if _, err := hpack.HuffmanDecode(&d.huf, value); err != nil {
			return nil, nil, nil, errHPACKHuffman
		}
		value = d.huf.b[nameEnd:] // taken after both: the buffer may have moved
	}
	if nameAt >= 0 {
		name = d.huf.b[:nameEnd]
	}
	return name, value, p, nil
}

// readInt reads an integer with an n-bit prefix (§5.1).
func readInt(p []byte, n uint) (int, []byte, error) {
	if len(p) == 0 {
		return 0, nil, errHPACKInt
	}
	max := 1<<n - 1
	v := int(p[0]) & max
	p = p[1:]
	if v < max {
		return v, p, nil
	}
	for shift := uint(0); ; shift += 7 {
		if len(p) == 0 || shift > 21 { // beyond 2^28: no block is that large
			return 0, nil, errHPACKInt
		}
		b := p[0]
		p = p[1:]
		v += int(b&0x7f) << shift
		if b&0x80 == 0 {
			return v, p, nil
		}
	}
}

// readString reads a string literal (§5.2): its bytes as sent, and
// whether they are Huffman-coded.
func readString(p []byte) (s []byte, huff bool, rest []byte, err error) {
	if len(p) == 0 {
		return nil, false, nil, errHPACKString
	}
	huff = p[0]&0x80 != 0
	var n int
	if n, p, err = readInt(p, 7); err != nil {
		return nil, false, nil, err
	}
	if n > len(p) {
		return nil, false, nil, errHPACKString
	}
	return p[:n:n], huff, p[n:], nil
}

// at returns the entry idx of the static or the dynamic table (§2.3.3).
func (d *decoder) at(idx int) (name, value []byte, ok bool) {
	switch {
	case idx <= 0:
		return nil, nil, false
	case idx <= len(staticTable):
		e := &staticTable[idx-1]
		return e.name, e.value, true
	}
	i := idx - len(staticTable) - 1
	if i >= d.n {
		return nil, nil, false
	}
	e := d.ents[(d.head-i+len(d.ents))%len(d.ents)]
	nameEnd, end := e.off+e.nlen, e.off+e.nlen+e.vlen
	return d.buf[e.off:nameEnd:nameEnd], d.buf[nameEnd:end:end], true
}

// add inserts a field into the dynamic table (§4.4): the oldest entries
// are evicted for room, then its bytes go to buf at w, or at 0 when they
// would pass buf's end. The table's entries never take more than size
// bytes, so buf, twice the largest size, always has room there: when the
// entries wrapped, the newest ones run from 0 up to at most size bytes
// before the oldest, which start past size (an entry of at most size bytes
// wrapped only when it would have ended past 2×size).
func (d *decoder) add(name, value []byte) {
	sz := len(name) + len(value) + 32
	if sz > d.size {
		d.evict(d.size + 1) // empties the table; the field is not added
		return
	}
	d.evict(sz)
	if d.inBuf(name) {
		// An entry's name, maybe an evicted one's whose bytes the new
		// entry may overwrite.
		d.join = append(d.join[:0], name...)
		name = d.join
	}
	d.place(name, value)
	d.used += sz
}

// place puts an entry's bytes in buf and makes it the newest entry.
func (d *decoder) place(name, value []byte) {
	if d.buf == nil {
		d.buf = make([]byte, 2*d.max)
	}
	l := len(name) + len(value)
	if d.w+l > len(d.buf) {
		d.w = 0
	}
	copy(d.buf[d.w:], name)
	copy(d.buf[d.w+len(name):], value)
	d.head = (d.head + 1) % len(d.ents)
	d.ents[d.head] = dynEntry{off: int32(d.w), nlen: int32(len(name)), vlen: int32(len(value))}
	d.n++
	d.w += l
}

// inBuf reports whether b lies in d.buf.
func (d *decoder) inBuf(b []byte) bool {
	if len(b) == 0 || len(d.buf) == 0 {
		return false
	}
	p, start := uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(unsafe.SliceData(d.buf)))
	return p >= start && p < start+uintptr(len(d.buf))
}

// evict drops the oldest entries until room bytes fit within size.
func (d *decoder) evict(room int) {
	for d.n > 0 && d.used+room > d.size {
		e := d.ents[(d.head-d.n+1+len(d.ents))%len(d.ents)]
		d.used -= int(e.nlen+e.vlen) + 32
		d.n--
	}
	if d.n == 0 {
		d.w = 0
	}
}

type staticEntry struct{ name, value []byte }

// staticTable is RFC 7541's Appendix A.
var staticTable = func() []staticEntry {
	kv := [...][2]string{
		{":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"}, {":path", "/index.html"},
		{":scheme", "http"}, {":scheme", "https"}, {":status", "200"}, {":status", "204"}, {":status", "206"},
		{":status", "304"}, {":status", "400"}, {":status", "404"}, {":status", "500"}, {"accept-charset", ""},
		{"accept-encoding", "gzip, deflate"}, {"accept-language", ""}, {"accept-ranges", ""}, {"accept", ""},
		{"access-control-allow-origin", ""}, {"age", ""}, {"allow", ""}, {"authorization", ""},
		{"cache-control", ""}, {"content-disposition", ""}, {"content-encoding", ""}, {"content-language", ""},
		{"content-length", ""}, {"content-location", ""}, {"content-range", ""}, {"content-type", ""},
		{"cookie", ""}, {"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""}, {"from", ""}, {"host", ""},
		{"if-match", ""}, {"if-modified-since", ""}, {"if-none-match", ""}, {"if-range", ""},
		{"if-unmodified-since", ""}, {"last-modified", ""}, {"link", ""}, {"location", ""}, {"max-forwards", ""},
		{"proxy-authenticate", ""}, {"proxy-authorization", ""}, {"range", ""}, {"referer", ""}, {"refresh", ""},
		{"retry-after", ""}, {"server", ""}, {"set-cookie", ""}, {"strict-transport-security", ""},
		{"transfer-encoding", ""}, {"user-agent", ""}, {"vary", ""}, {"via", ""}, {"www-authenticate", ""},
	}
	t := make([]staticEntry, len(kv))
	for i, f := range kv {
		t[i] = staticEntry{name: []byte(f[0]), value: []byte(f[1])}
	}
	return t
}()
