package order

import "strings"

// The server name (SNI) match of tcp frontends.

// MaxSNI is the longest server name a tcp frontend matches, in bytes
// (RFC 1035's 253, without the trailing dot).
const MaxSNI = 253

// NormalizeSNI checks the hostname of a tcp frontend and returns its
// normal form: ASCII-lowercased, one trailing dot removed. The empty
// hostname is the listener's default route. Accepted forms are a name of
// dot-separated labels of letters, digits, '-' and '_' (1 to 63 bytes
// each, at most 253 in all), or such a name after "*." (a wildcard,
// matching any name that ends in "." and the rest, at any depth). "*"
// alone, IP literals and ports are refused: a client sends a host name
// in SNI, never an address (RFC 6066 §3); the default route (no hostname)
// catches everything else. The error is a *FieldError for field.
func NormalizeSNI(field, h string) (string, error) {
	if h == "" {
		return "", nil
	}
	name := strings.TrimSuffix(h, ".")
	body := strings.TrimPrefix(name, "*.")
	switch {
	case name == "*":
		return "", fieldErr(field, `"*" is not a server name; a tcp frontend without hostname is the listener's default route`)
	case body == "":
		return "", fieldErr(field, "%q has an empty name", h)
	case len(name) > MaxSNI:
		return "", fieldErr(field, "%q is longer than %d bytes", h, MaxSNI)
	}
	for label := range strings.SplitSeq(body, ".") {
		if label == "" {
			return "", fieldErr(field, "%q has an empty label", h)
		}
		if len(label) > 63 {
			return "", fieldErr(field, "%q has a label longer than 63 bytes", h)
		}
		for i := 0; i < len(label); i++ {
			switch c := label[i]; {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			case c == '*':
				return "", fieldErr(field, `%q: '*' is only allowed as a leading "*." label`, h)
			case c == ':':
				return "", fieldErr(field, "%q: a server name has no port and is not an IPv6 address", h)
			default:
				return "", fieldErr(field, "%q: invalid character %q", h, c)
			}
		}
	}
	return strings.ToLower(name), nil
}

// Key returns the frontend with only the fields of its key, the
// hostname normalised (unchanged when it is invalid).
func (f TCPFrontend) Key() TCPFrontend {
	if h, err := NormalizeSNI("", f.Hostname); err == nil {
		f.Hostname = h
	}
	return TCPFrontend{Address: f.Address, Hostname: f.Hostname}
}

// tcpSummary is the log attributes of a tcp frontend order: the address,
// the hostname when there is one, then more.
func tcpSummary(f TCPFrontend, more ...any) []any {
	out := []any{"address", f.Address}
	if f.Hostname != "" {
		out = append(out, "hostname", f.Hostname)
	}
	return append(out, more...)
}

// object names the frontend in messages: "tcp frontend ADDR", with
// " hostname H" when it has one.
func (f TCPFrontend) object() string {
	if f.Hostname == "" {
		return "tcp frontend " + f.Address
	}
	return "tcp frontend " + f.Address + " hostname " + f.Hostname
}
