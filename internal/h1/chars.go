package h1

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Character-class tables, indexed by byte. Each is built once at package
// initialisation; lookups allocate nothing.

// tokenTable reports tchar (RFC 9110 §5.6.2): the bytes of a method, a field
// name or a transfer-coding.
var tokenTable = makeTable(func(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
})

// valueTable reports the bytes allowed inside a field value, a reason phrase
// or a chunk extension: HTAB, SP, VCHAR and obs-text (0x80–0xFF).
var valueTable = makeTable(func(c byte) bool {
	return c == '\t' || c == ' ' || (0x21 <= c && c != 0x7f)
})

// targetTable reports the bytes allowed in a request-target: visible ASCII
// but '#', which starts a fragment, never part of a request-target (RFC
// 9112 §3.2); a proxy that let it through would route and cache by a path
// the backend reads differently.
var targetTable = makeTable(func(c byte) bool {
	return 0x21 <= c && c <= 0x7e && c != '#'
})

// regNameTable reports the bytes of an RFC 3986 reg-name or IPv4 address:
// unreserved, sub-delims and '%' (pct-encoded is checked separately).
var regNameTable = makeTable(func(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', '%':
		return true
	}
	return false
})

// ipLiteralTable reports the bytes allowed between '[' and ']' of an
// IP-literal: hex digits, ':', '.', and the IPvFuture letters.
var ipLiteralTable = makeTable(func(c byte) bool {
	return regNameTable[c] && c != '%' || c == ':'
})

// hexVal maps a hex digit to its value and every other byte to 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

func makeTable(f func(byte) bool) (t [256]bool) {
	for i := range t {
		t[i] = f(byte(i))
	}
	return t
}

// lower folds an ASCII upper-case letter to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// EqualFold reports whether b equals the lower-case ASCII string s,
// ignoring ASCII case in b: the one case-insensitive comparison of field
// names (and tokens) of the packages that parse or edit requests.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// equalFoldBytes reports whether a and b are equal ignoring ASCII case.
func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// TrimOWS removes leading and trailing optional whitespace (SP and HTAB,
// RFC 9110 §5.6.3) from a field value or a list element; b is not copied.
func TrimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// listIter walks the comma-separated elements of a field value, each with
// OWS trimmed. Empty elements are reported (as empty slices), so callers can
// reject them where the grammar forbids them; an empty value yields one empty
// element.
type listIter struct {
	b    []byte
	done bool
}

func (it *listIter) next() ([]byte, bool) {
	if it.done {
		return nil, false
	}
	i := bytes.IndexByte(it.b, ',')
	if i < 0 {
		it.done = true
		return TrimOWS(it.b), true
	}
	e := TrimOWS(it.b[:i])
	it.b = it.b[i+1:]
	return e, true
}

// SWAR constants for scanning eight bytes at a time.
const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// skipValueBytes returns the offset of the first byte at or after i in
// buf[:end] that is not allowed in a field value (see valueTable), typically
// the CR ending the line. It checks eight bytes at a time, and goes to the
// first byte of a word below 0x20 or equal to 0x7f in one step (the lowest
// flag of each test is exact: a borrow only runs upwards); an HTAB there
// is allowed and the scan goes on after it.
func skipValueBytes(buf []byte, i, end int) int {
	for i+8 <= end {
		w := binary.LittleEndian.Uint64(buf[i:])
		// A byte below 0x20 (CTL, HTAB, CR, LF) or equal to 0x7f (DEL).
		lt := (w - 0x20*swarOnes) & ^w & swarHighs
		x := w ^ 0x7f*swarOnes
		del := (x - swarOnes) & ^x & swarHighs
		if m := lt | del; m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			if !valueTable[buf[i]] {
				return i
			}
			i++
			continue
		}
		i += 8
	}
	for i < end && valueTable[buf[i]] {
		i++
	}
	return i
}
