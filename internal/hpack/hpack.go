// Package hpack is the stateless part of HPACK (RFC 7541) that the
// proxy's HTTP/2 front (its response heads) and its HTTP/2 client (the
// requests to backends) share: integers, string literals, literal fields
// not added to a dynamic table, the static table's names, and names in
// lower case. Strings go as they are, not Huffman-coded, as HAProxy
// sends them: Huffman coding would shorten a typical value by a fifth, at
// the cost of about thirty instructions per byte and a decoding pass on
// the other side, for a few bytes of a record. Nothing here allocates.
package hpack

import "strconv"

// AppendString appends a string literal as it is (not Huffman-coded).
func AppendString(b, s []byte) []byte {
	return append(AppendInt(b, 0x00, 7, len(s)), s...)
}

// AppendInt appends an HPACK integer with an n-bit prefix after the bits
// of first (RFC 7541 §5.1).
func AppendInt(b []byte, first byte, n uint, v int) []byte {
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

// StaticIndex is the first index of name in RFC 7541's static table, 0
// when it is not there. A switch on the string compiles to comparisons
// of lengths and bytes, without hashing the name.
func StaticIndex(name []byte) int {
	switch string(name) {
	case ":authority":
		return 1
	case ":method":
		return 2
	case ":path":
		return 4
	case ":scheme":
		return 6
	case ":status":
		return 8
	case "accept-charset":
		return 15
	case "accept-encoding":
		return 16
	case "accept-language":
		return 17
	case "accept-ranges":
		return 18
	case "accept":
		return 19
	case "access-control-allow-origin":
		return 20
	case "age":
		return 21
	case "allow":
		return 22
	case "authorization":
		return 23
	case "cache-control":
		return 24
	case "content-disposition":
		return 25
	case "content-encoding":
		return 26
	case "content-language":
		return 27
	case "content-length":
		return 28
	case "content-location":
		return 29
	case "content-range":
		return 30
	case "content-type":
		return 31
	case "cookie":
		return 32
	case "date":
		return 33
	case "etag":
		return 34
	case "expect":
		return 35
	case "expires":
		return 36
	case "from":
		return 37
	case "host":
		return 38
	case "if-match":
		return 39
	case "if-modified-since":
		return 40
	case "if-none-match":
		return 41
	case "if-range":
		return 42
	case "if-unmodified-since":
		return 43
	case "last-modified":
		return 44
	case "link":
		return 45
	case "location":
		return 46
	case "max-forwards":
		return 47
	case "proxy-authenticate":
		return 48
	case "proxy-authorization":
		return 49
	case "range":
		return 50
	case "referer":
		return 51
	case "refresh":
		return 52
	case "retry-after":
		return 53
	case "server":
		return 54
	case "set-cookie":
		return 55
	case "strict-transport-security":
		return 56
	case "transfer-encoding":
		return 57
	case "user-agent":
		return 58
	case "vary":
		return 59
	case "via":
		return 60
	case "www-authenticate":
		return 61
	}
	return 0
}

// AppendLiteral appends a field as a literal not added to the table, its
// name by index idx unless 0; never indexed (RFC 7541 §7.1.3: no
// intermediary compresses it either) when secret.
func AppendLiteral(b []byte, idx int, name, value []byte, secret bool) []byte {
	first := byte(0x00)
	if secret {
		first = 0x10
	}
	if idx != 0 {
		b = AppendInt(b, first, 4, idx)
	} else {
		b = AppendString(append(b, first), name)
	}
	return AppendString(b, value)
}

// Sensitive reports fields sent never indexed, so that no intermediary
// compresses them either (RFC 7541 §7.1.3).
func Sensitive(name []byte) bool {
	switch string(name) {
	case "set-cookie", "cookie", "authorization", "proxy-authorization", "www-authenticate":
		return true
	}
	return false
}

// LowerName returns name in lower case: name itself when it has no
// capitals, else a copy in scratch.
func LowerName(scratch, name []byte) ([]byte, []byte) {
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			scratch = append(scratch[:0], name...)
			for j := i; j < len(scratch); j++ {
				if c := scratch[j]; 'A' <= c && c <= 'Z' {
					scratch[j] = c + 'a' - 'A'
				}
			}
			return scratch, scratch
		}
	}
	return name, scratch
}

// AppendContentLength appends content-length: n (not negative), a literal
// whose name is the static table's.
func AppendContentLength(b []byte, n int64) []byte {
	var buf [20]byte
	d := strconv.AppendInt(buf[:0], n, 10)
	b = AppendInt(b, 0x00, 4, 28)
	b = append(b, byte(len(d)))
	return append(b, d...)
}
