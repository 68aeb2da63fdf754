package router

import (
	"bytes"
	"net/netip"
	"strings"
)

// Limits on hostnames.
const (
	// maxName is the longest rule hostname, in bytes, without the
	// trailing dot (RFC 1035 presentation form).
	maxName = 253
	// maxLabel is the longest label, in bytes.
	maxLabel = 63
	// maxRequestHost is the longest normalised request host Lookup
	// considers; longer hosts never match.
	maxRequestHost = 255
)

// hostKind says which index a normalised rule hostname belongs to.
type hostKind uint8

const (
	hostExact    hostKind = iota // "example.com", "[::1]"
	hostWildcard                 // "*.example.com"; indexed by "example.com"
	hostCatchAll                 // "*"
	hostRegex                    // "/api[0-9]+/.example.com" (regexhost.go)
)

// kindOf returns the kind of a normalised hostname and its index key (the
// name itself, or the suffix after "*." for a wildcard).
func kindOf(h string) (hostKind, string) {
	switch {
	case h == "*":
		return hostCatchAll, ""
	case isRegexHost(h):
		return hostRegex, h
	case strings.HasPrefix(h, "*."):
		return hostWildcard, h[2:]
	}
	return hostExact, h
}

// NormalizeHostname validates a rule hostname and returns its normal form:
// ASCII-lowercased, with one trailing dot removed. Accepted forms are
//
//   - "*", the catch-all;
//   - a DNS-like name of dot-separated labels of letters, digits, '-' and
//     '_', each 1 to 63 bytes, the whole at most 253 bytes;
//   - such a name preceded by "*." (a wildcard; '*' is allowed nowhere
//     else);
//   - an IPv6 literal, "[::1]" or bare "::1" (no zone), normalised to the
//     bracketed, lowercased form as written (not canonicalised);
//   - a regex hostname, whose labels are names' labels or Go RE2 patterns
//     between slashes ("/api[0-9]+/.example.com", see regexhost.go): its
//     literal labels are lowercased, its patterns kept as written.
//
// Ports are refused. The error is a *RuleError with Field "hostname".
func NormalizeHostname(s string) (string, error) {
	if s == "" {
		return "", hostErr(s, "empty")
	}
	if s == "*" {
		return "*", nil
	}
	if isRegexHost(s) {
		return normalizeRegexHost(s)
	}
	if s[0] == '[' || strings.Count(s, ":") >= 2 {
		return normalizeIPv6(s)
	}
	name := strings.TrimSuffix(s, ".")
	body := strings.TrimPrefix(name, "*.")
	if body == "" {
		return "", hostErr(s, "empty name")
	}
	if len(name) > maxName {
		return "", hostErr(s, "longer than 253 bytes")
	}
	for label := range strings.SplitSeq(body, ".") {
		if label == "" {
			return "", hostErr(s, "empty label")
		}
		if len(label) > maxLabel {
			return "", hostErr(s, "label longer than 63 bytes")
		}
		for i := 0; i < len(label); i++ {
			switch c := label[i]; {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			case c == '*':
				return "", hostErr(s, `'*' is only allowed as a leading "*." label or alone`)
			case c == ':':
				return "", hostErr(s, "a rule hostname has no port")
			default:
				return "", hostErr(s, "invalid character "+quoteByte(c))
			}
		}
	}
	return lowerASCII(name), nil
}

func normalizeIPv6(s string) (string, error) {
	inner := s
	if s[0] == '[' {
		if len(s) < 2 || s[len(s)-1] != ']' {
			return "", hostErr(s, "IPv6 literal must be \"[address]\" without a port")
		}
		inner = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(inner)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", hostErr(s, "not an IPv6 address literal (without zone)")
	}
	return "[" + lowerASCII(inner) + "]", nil
}

func hostErr(s, reason string) error {
	return &RuleError{Field: "hostname", Value: s, Reason: reason}
}

func quoteByte(c byte) string {
	const hex = "0123456789abcdef"
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return `'\x` + string([]byte{hex[c>>4], hex[c&15]}) + "'"
}

// lowerASCII lowercases ASCII letters only, leaving other bytes untouched
// (unlike strings.ToLower, which also maps Unicode and invalid UTF-8).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// normalizeRequestHost writes the normal form of a request host into buf
// (see "Request hosts" in the package comment) and returns it. literal is
// true for an IPv6 literal (no wildcard matching); ok is false when the
// host can match nothing. It does not allocate. buf has one spare byte so
// that a 255-byte name followed by a trailing dot still fits.
func normalizeRequestHost(buf *[maxRequestHost + 1]byte, host []byte) (name []byte, literal, ok bool) {
	if len(host) > 0 && host[0] == '[' {
		end := bytes.IndexByte(host, ']')
		if end < 0 || end >= maxRequestHost {
			return nil, false, false
		}
		return buf[:lowerInto(buf[:], host[:end+1])], true, true
	}
	// One pass: lowercase up to the first ':'.
	n := 0
	for ; n < len(host); n++ {
		c := host[n]
		if c == ':' {
			break
		}
		if n == len(buf) {
			return nil, false, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
	}
	if n < len(host) && bytes.IndexByte(host[n+1:], ':') >= 0 {
		// Two or more colons: a bare IPv6 literal, bracketed.
		if len(host)+2 > maxRequestHost {
			return nil, false, false
		}
		buf[0] = '['
		m := 1 + lowerInto(buf[1:], host)
		buf[m] = ']'
		return buf[:m+1], true, true
	}
	if n > 0 && buf[n-1] == '.' {
		n--
	}
	if n > maxRequestHost {
		return nil, false, false
	}
	return buf[:n], false, true
}

// lowerInto copies src into dst, lowercasing ASCII letters, and returns the
// number of bytes copied.
func lowerInto(dst, src []byte) int {
	n := copy(dst, src)
	for i := 0; i < n; i++ {
		if c := dst[i]; 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return n
}
