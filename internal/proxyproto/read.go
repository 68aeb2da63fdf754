package proxyproto

import (
	"encoding/binary"
	"io"
)

// Read reads exactly one header from r into buf and parses it into h; it
// reads no byte past the header, so r can be used on as if the header had
// never been there. len(buf) bounds a version 2 header (at least MaxV1 is
// needed; DefaultMaxV2 is a good size). The header's TLVs alias buf.
//
// It returns the header's length, or an error: ErrMissing when the first
// bytes are not a signature, another error wrapping ErrMalformed (ErrTooLarge
// included) for a bad header, or the read error (io.EOF or
// io.ErrUnexpectedEOF when the peer closed early, a timeout when r has a
// deadline). Deadlines are the caller's.
//
// A version 2 header takes three reads; a version 1 header takes a few
// more, as each read asks only for bytes the header must still contain.
func Read(r io.Reader, buf []byte, h *Header) (int, error) {
	if len(buf) < MaxV1 {
		return 0, ErrTooLarge
	}
	// 15 bytes is the shortest header ("PROXY UNKNOWN\r\n"); a version 2
	// header has at least 16.
	const first = 15
	if _, err := io.ReadFull(r, buf[:first]); err != nil {
		return 0, err
	}
	n := first
	switch {
	case hasPrefix(buf[:n], v2Sig):
		if _, err := io.ReadFull(r, buf[n:v2Fixed]); err != nil {
			return 0, err
		}
		n = v2Fixed
		size := v2Fixed + int(binary.BigEndian.Uint16(buf[14:16]))
		if buf[12]>>4 != 2 {
			return 0, malformed("v2 version is not 2")
		}
		if size > len(buf) {
			return 0, ErrTooLarge
		}
		if _, err := io.ReadFull(r, buf[n:size]); err != nil {
			return 0, err
		}
		return ParseV2(buf[:size], h, len(buf))
	case hasPrefix(buf[:n], v1Sig):
		// The shortest TCP4 line is "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n".
		if string(buf[6:11]) == "TCP4 " {
			if _, err := io.ReadFull(r, buf[n:32]); err != nil {
				return 0, err
			}
			n = 32
		}
		for buf[n-2] != '\r' || buf[n-1] != '\n' {
			if k, err := ParseV1(buf[:n], h); err != ErrIncomplete {
				return k, err // malformed already (k is never < n here)
			}
			need := 2 // a line still to end needs at least "\r\n"
			if buf[n-1] == '\r' {
				need = 1
			}
			if n+need > MaxV1 {
				return 0, ErrTooLarge
			}
			if _, err := io.ReadFull(r, buf[n:n+need]); err != nil {
				return 0, err
			}
			n += need
		}
		return ParseV1(buf[:n], h)
	}
	return 0, ErrMissing
}
