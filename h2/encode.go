package h2

import (
	"unsafe"

	"github.com/sluiceproxy/sluice/internal/h1"
	"golang.org/x/net/http2/hpack"
)

// HPACK encoding of response heads (RFC 7541): stateless, so heads are
// encoded outside the connection's lock in any order: :status and names
// from the static table where they are in it, every field a literal
// without indexing, values Huffman-coded when that is shorter. The server
// never adds to the client's dynamic table, so the client's
// SETTINGS_HEADER_TABLE_SIZE asks nothing of it.

// appendStatus appends :status.
func appendStatus(b []byte, status int) []byte {
	switch status {
	case 200:
		return append(b, 0x80|8)
	case 204:
		return append(b, 0x80|9)
	case 206:
		return append(b, 0x80|10)
	case 304:
		return append(b, 0x80|11)
	case 400:
		return append(b, 0x80|12)
	case 404:
		return append(b, 0x80|13)
	case 500:
		return append(b, 0x80|14)
	}
	if status < 100 || status > 999 {
		status = 500
	}
	return append(b, 8, 3, byte('0'+status/100), byte('0'+status/10%10), byte('0'+status%10))
}

// appendField appends a field, its name lowered into scratch first.
func appendField(b, scratch, name, value []byte) ([]byte, []byte) {
	scratch = scratch[:0]
	for _, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		scratch = append(scratch, ch)
	}
	if idx := staticNames[string(scratch)]; idx != 0 {
		b = appendInt(b, 0x00, 4, int(idx))
	} else {
		b = append(b, 0x00)
		b = appendString(b, scratch)
	}
	return appendString(b, value), scratch
}

// appendContentLength appends content-length: n.
func appendContentLength(b []byte, n int64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	b = appendInt(b, 0x00, 4, 28)
	b = append(b, byte(len(d)-i))
	return append(b, d[i:]...)
}

// appendString appends a string literal, Huffman-coded when shorter.
func appendString(b, s []byte) []byte {
	if len(s) == 0 {
		return append(b, 0)
	}
	str := unsafe.String(&s[0], len(s))
	if n := hpack.HuffmanEncodeLength(str); n < uint64(len(s)) {
		b = appendInt(b, 0x80, 7, int(n))
		return hpack.AppendHuffmanString(b, str)
	}
	b = appendInt(b, 0x00, 7, len(s))
	return append(b, s...)
}

// appendInt appends an HPACK integer with an n-bit prefix after the bits
// of first (RFC 7541 §5.1).
func appendInt(b []byte, first byte, n uint, v int) []byte {
	max := 1<<n - 1
	if v < max {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(max))
	v -= max
	for v >= 128 {
		b = append(b, byte(v%128)|0x80)
		v /= 128
	}
	return append(b, byte(v))
}

// appendFields appends the fields of a head or trailers, leaving out the
// connection-specific ones (HTTP/2 has none) and Content-Length (the
// head's own is written from its ContentLength).
func appendFields(b, scratch []byte, fs []h1.Header) ([]byte, []byte) {
	for i := range fs {
		f := &fs[i]
		k := f.Kind
		if k == h1.HeaderOther {
			k = h1.ClassifyHeader(f.Name)
		}
		if k.HopByHop() || k == h1.HeaderContentLength || len(f.Name) == 0 {
			continue
		}
		b, scratch = appendField(b, scratch, f.Name, f.Value)
	}
	return b, scratch
}

// staticNames are the names of RFC 7541's static table, by their first
// index.
var staticNames = map[string]uint8{
	":authority": 1, ":method": 2, ":path": 4, ":scheme": 6, ":status": 8,
	"accept-charset": 15, "accept-encoding": 16, "accept-language": 17, "accept-ranges": 18,
	"accept": 19, "access-control-allow-origin": 20, "age": 21, "allow": 22, "authorization": 23,
	"cache-control": 24, "content-disposition": 25, "content-encoding": 26, "content-language": 27,
	"content-length": 28, "content-location": 29, "content-range": 30, "content-type": 31,
	"cookie": 32, "date": 33, "etag": 34, "expect": 35, "expires": 36, "from": 37, "host": 38,
	"if-match": 39, "if-modified-since": 40, "if-none-match": 41, "if-range": 42,
	"if-unmodified-since": 43, "last-modified": 44, "link": 45, "location": 46, "max-forwards": 47,
	"proxy-authenticate": 48, "proxy-authorization": 49, "range": 50, "referer": 51, "refresh": 52,
	"retry-after": 53, "server": 54, "set-cookie": 55, "strict-transport-security": 56,
	"transfer-encoding": 57, "user-agent": 58, "vary": 59, "via": 60, "www-authenticate": 61,
}
