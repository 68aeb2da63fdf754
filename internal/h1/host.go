package h1

import "bytes"

// validHost reports whether b is a non-empty uri-host [ ":" port ] as allowed
// in a Host field or an absolute-form authority: a reg-name or IPv4 address
// (with well-formed pct-encoding) or a bracketed IP-literal, and an optional
// port of 1 to 5 digits. Userinfo ('@') is rejected.
func validHost(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	var port []byte
	if b[0] == '[' {
		j := bytes.IndexByte(b, ']')
		if j < 2 {
			return false
		}
		for _, c := range b[1:j] {
			if !ipLiteralTable[c] {
				return false
			}
		}
		rest := b[j+1:]
		if len(rest) > 0 {
			if rest[0] != ':' {
				return false
			}
			port = rest[1:]
			if len(port) == 0 {
				return false
			}
		}
	} else {
		h := b
		if j := bytes.IndexByte(b, ':'); j >= 0 {
			h, port = b[:j], b[j+1:]
			if len(port) == 0 {
				return false
			}
		}
		if len(h) == 0 {
			return false
		}
		for k := 0; k < len(h); k++ {
			c := h[k]
			if !regNameTable[c] {
				return false
			}
			if c == '%' {
				if k+2 >= len(h) || hexVal[h[k+1]] == 0xff || hexVal[h[k+2]] == 0xff {
					return false
				}
				k += 2
			}
		}
	}
	if len(port) > 5 {
		return false
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
