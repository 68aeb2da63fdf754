package router

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Regex hostnames (Sōzu's "/regex/" labels): a rule hostname in which one
// or more labels are written between slashes, such as
// "/api[0-9]+/.example.com" or "/(.+)-preview/.example.com". It compiles to
// one regular expression over the whole request host: the literal labels
// match themselves (case-insensitively: the request host is lowercased),
// each /RE/ label is the Go RE2 pattern RE, and the whole is anchored at
// both ends, so "/.+/.example.com" matches "a.example.com" and
// "a.b.example.com" but not "example.com". A /RE/ label runs from its '/'
// to the next '/' that ends the hostname or is followed by '.'. The
// capture groups of the patterns, in order, are the host's captures for
// rewrite templates ($HOST[1], $HOST[2], ...).

// isRegexHost reports a regex hostname: no other hostname has a '/'.
func isRegexHost(s string) bool { return strings.IndexByte(s, '/') >= 0 }

// hostLabel is one label of a regex hostname.
type hostLabel struct {
	text  string
	regex bool
}

// parseRegexHost splits a regex hostname into its labels (one trailing dot
// dropped) and checks them.
func parseRegexHost(s string) ([]hostLabel, error) {
	var labels []hostLabel
	i := 0
	for {
		if i == len(s) {
			return nil, hostErr(s, "empty label")
		}
		if s[i] == '/' {
			j := i + 1
			for {
				k := strings.IndexByte(s[j:], '/')
				if k < 0 {
					return nil, hostErr(s, "a regex label has no closing '/'")
				}
				j += k
				if j+1 == len(s) || s[j+1] == '.' {
					break
				}
				j++
			}
			re := s[i+1 : j]
			if re == "" {
				return nil, hostErr(s, "empty regex label")
			}
			if _, err := regexp.Compile(re); err != nil {
				return nil, hostErr(s, "bad regex label: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
			labels = append(labels, hostLabel{re, true})
			i = j + 1
		} else {
			k := strings.IndexByte(s[i:], '.')
			if k < 0 {
				k = len(s) - i
			}
			label := s[i : i+k]
			if err := checkLabel(s, label); err != nil {
				return nil, err
			}
			labels = append(labels, hostLabel{lowerASCII(label), false})
			i += k
		}
		if i == len(s) || i == len(s)-1 && s[i] == '.' {
			break
		}
		i++ // the '.'
	}
	if len(s) > maxName+1 {
		return nil, hostErr(s, "longer than 253 bytes")
	}
	return labels, nil
}

// checkLabel checks a literal label of hostname s.
func checkLabel(s, label string) error {
	if label == "" {
		return hostErr(s, "empty label")
	}
	if len(label) > maxLabel {
		return hostErr(s, "label longer than 63 bytes")
	}
	for i := 0; i < len(label); i++ {
		switch c := label[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '*':
			return hostErr(s, `'*' is only allowed as a leading "*." label or alone`)
		case c == ':':
			return hostErr(s, "a rule hostname has no port")
		default:
			return hostErr(s, "invalid character "+quoteByte(c))
		}
	}
	return nil
}

// normalizeRegexHost returns the normal form of a regex hostname: literal
// labels lowercased, no trailing dot; regex labels as written.
func normalizeRegexHost(s string) (string, error) {
	labels, err := parseRegexHost(s)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = l.text
		if l.regex {
			parts[i] = "/" + l.text + "/"
		}
	}
	return strings.Join(parts, "."), nil
}

// HostPattern returns the anchored regular expression a regex hostname
// (see NormalizeHostname) compiles to, matched against a lowercased
// request host without port or trailing dot; nil, nil for other
// hostnames. Its capture groups are the host's captures.
func HostPattern(hostname string) (*regexp.Regexp, error) {
	if !isRegexHost(hostname) {
		return nil, nil
	}
	labels, err := parseRegexHost(hostname)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("^")
	for i, l := range labels {
		if i > 0 {
			b.WriteString(`\.`)
		}
		if l.regex {
			b.WriteString("(?:" + l.text + ")")
		} else {
			b.WriteString(regexp.QuoteMeta(l.text))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, hostErr(hostname, "bad regex: "+err.Error())
	}
	return re, nil
}

// literalSuffix is the text after the last regex label of a normalised
// regex hostname ("." included): every host it matches ends with it.
func literalSuffix(name string) string {
	labels, _ := parseRegexHost(name)
	suffix := ""
	for i := len(labels) - 1; i >= 0 && !labels[i].regex; i-- {
		suffix = "." + labels[i].text + suffix
	}
	return suffix
}

// regexHost is the rules of one regex hostname.
type regexHost[T any] struct {
	name   string // the normalised hostname
	re     *regexp.Regexp
	suffix string
	rules  *hostRules[T]
}

// regexHosts is an immutable list of regex hostnames, sorted by name:
// a request tries them in that order.
type regexHosts[T any] []*regexHost[T]

func (rs regexHosts[T]) get(name string) *hostRules[T] {
	if i, ok := slices.BinarySearchFunc(rs, name, func(r *regexHost[T], n string) int { return strings.Compare(r.name, n) }); ok {
		return rs[i].rules
	}
	return nil
}

// with returns a new list where name has the rules hr (removed when nil).
func (rs regexHosts[T]) with(name string, hr *hostRules[T]) regexHosts[T] {
	i, ok := slices.BinarySearchFunc(rs, name, func(r *regexHost[T], n string) int { return strings.Compare(r.name, n) })
	switch {
	case ok && hr == nil:
		return slices.Concat(rs[:i], rs[i+1:])
	case ok:
		out := slices.Clone(rs)
		nr := *rs[i]
		nr.rules = hr
		out[i] = &nr
		return out
	case hr == nil:
		return rs
	}
	re, _ := HostPattern(name) // checked by compileRule
	nr := &regexHost[T]{name: name, re: re, suffix: literalSuffix(name), rules: hr}
	return slices.Concat(rs[:i], regexHosts[T]{nr}, rs[i:])
}

// match returns the target of the first regex hostname matching h (a
// normalised request host) that has a rule for r.
// h is copied into a pooled buffer before a regexp sees it: the caller's
// is on its stack, where a slice given to a regexp could not stay.
func (rs regexHosts[T]) match(h []byte, r *Request) (T, bool) {
	for i, rh := range rs {
		if len(h) > len(rh.suffix) && string(h[len(h)-len(rh.suffix):]) == rh.suffix {
			return rs[i:].matchCopy(h, r)
		}
	}
	var zero T
	return zero, false
}

// matchCopy is match from the first candidate on, with h in a pooled
// buffer.
func (rs regexHosts[T]) matchCopy(h []byte, r *Request) (T, bool) {
	bp := hostBufs.Get().(*[maxRequestHost + 1]byte)
	defer hostBufs.Put(bp)
	hb := bp[:copy(bp[:], h)]
	for _, rh := range rs {
		if len(hb) <= len(rh.suffix) || string(hb[len(hb)-len(rh.suffix):]) != rh.suffix || !rh.re.Match(hb) {
			continue
		}
		if v, ok := rh.rules.match(r); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

var hostBufs = sync.Pool{New: func() any { return new([maxRequestHost + 1]byte) }}
