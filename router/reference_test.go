package router

import (
	"regexp"
	"strconv"
	"strings"
)

// refMatcher is a deliberately naive implementation of the matching rules
// of the package comment, used as an oracle: it normalises the request host
// with allocating string functions, checks every rule, and picks the best
// match by comparing ranks. It shares no code with Table's lookup path.
type refMatcher struct {
	rules []Rule[string]
	res   []*regexp.Regexp
	hosts []*regexp.Regexp // regex hostnames' patterns
}

// newRef builds a reference matcher over rules (assumed valid; hostnames
// are normalised here).
func newRef(rules []Rule[string]) *refMatcher {
	m := &refMatcher{}
	for _, r := range rules {
		h, err := NormalizeHostname(r.Hostname)
		if err != nil {
			panic(err)
		}
		r.Hostname = h
		m.rules = append(m.rules, r)
		var re *regexp.Regexp
		if r.PathType == PathRegex {
			re = regexp.MustCompile("^(?:" + r.Path + ")$")
		}
		m.res = append(m.res, re)
		m.hosts = append(m.hosts, refHostPattern(h))
	}
	return m
}

// refHostPattern turns a regex hostname into its pattern the long way: it
// walks the name byte by byte. nil for other hostnames.
func refHostPattern(h string) *regexp.Regexp {
	if !strings.Contains(h, "/") {
		return nil
	}
	var out, label strings.Builder
	inRegex := false
	flush := func() {
		if label.Len() > 0 {
			out.WriteString(regexp.QuoteMeta(label.String()))
			label.Reset()
		}
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case !inRegex && c == '/' && label.Len() == 0:
			inRegex = true
			out.WriteString("(?:")
		case inRegex && c == '/' && (i+1 == len(h) || h[i+1] == '.'):
			inRegex = false
			out.WriteString(")")
		case inRegex:
			out.WriteByte(c)
		case c == '.':
			flush()
			out.WriteString(`\.`)
		default:
			label.WriteByte(c)
		}
	}
	flush()
	return regexp.MustCompile("^" + out.String() + "$")
}

// refRequest is a request as the reference matcher takes it.
type refRequest struct {
	host, path, method, query string
	headers                   [][2]string
}

// refHolds evaluates a rule's conditions naively.
func refHolds(r Rule[string], q refRequest) bool {
	for _, p := range r.Headers {
		var vals []string
		for _, h := range q.headers {
			if strings.EqualFold(h[0], p.Name) {
				vals = append(vals, h[1])
			}
		}
		if !refTest(p, vals) {
			return false
		}
	}
	for _, p := range r.Query {
		var vals []string
		for _, pair := range strings.Split(q.query, "&") {
			if pair == "" {
				continue
			}
			name, value, _ := strings.Cut(pair, "=")
			if refUnescape(name) == p.Name {
				vals = append(vals, refUnescape(value))
			}
		}
		if !refTest(p, vals) {
			return false
		}
	}
	return true
}

func refTest(p Predicate, vals []string) bool {
	switch p.Type {
	case MatchAbsent:
		return len(vals) == 0
	case MatchPresent:
		return len(vals) > 0
	}
	for _, v := range vals {
		switch p.Type {
		case MatchExact:
			if v == p.Value {
				return true
			}
		case MatchPrefix:
			if strings.HasPrefix(v, p.Value) {
				return true
			}
		case MatchRegex:
			if regexp.MustCompile("^(?:" + p.Value + ")$").MatchString(v) {
				return true
			}
		}
	}
	return false
}

// refUnescape decodes %XX escapes and '+', keeping malformed escapes.
func refUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' {
			b.WriteByte(' ')
			continue
		}
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil && !strings.ContainsAny(s[i+1:i+3], "+-") {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// refHost normalises a request host; ok is false if nothing can match.
func refHost(host string) (h string, literal, ok bool) {
	switch {
	case strings.HasPrefix(host, "["):
		end := strings.Index(host, "]")
		if end < 0 {
			return "", false, false
		}
		h, literal = host[:end+1], true
	case strings.Count(host, ":") >= 2:
		h, literal = "["+host+"]", true
	default:
		h, _, _ = strings.Cut(host, ":")
		h = strings.TrimSuffix(h, ".")
	}
	if len(h) > 255 {
		return "", false, false
	}
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		b.WriteByte(c)
	}
	return b.String(), literal, true
}

// rank is a candidate's priority; lower wins, compared field by field.
type rank struct {
	position  int    // 0 pre, 1 tree, 2 post
	host      int    // 0 exact, 1 regex, 2 wildcard, 3 catch-all
	hostRegex string // regex hostname: lexical order
	suffixLen int    // wildcard: longer suffix wins (stored negated)
	pathClass int    // 0 equals, 1 regex, 2 prefix
	pattern   string // regex: lexical order
	prefixLen int    // prefix: longer wins (stored negated)
	noMethod  int    // 0 with method, 1 without
	conds     int    // more conditions win (stored negated)
	match     string // then the conditions' text
}

func (a rank) less(b rank) bool {
	switch {
	case a.position != b.position:
		return a.position < b.position
	case a.host != b.host:
		return a.host < b.host
	case a.hostRegex != b.hostRegex:
		return a.hostRegex < b.hostRegex
	case a.suffixLen != b.suffixLen:
		return a.suffixLen < b.suffixLen
	case a.pathClass != b.pathClass:
		return a.pathClass < b.pathClass
	case a.pattern != b.pattern:
		return a.pattern < b.pattern
	case a.prefixLen != b.prefixLen:
		return a.prefixLen < b.prefixLen
	case a.noMethod != b.noMethod:
		return a.noMethod < b.noMethod
	case a.conds != b.conds:
		return a.conds < b.conds
	}
	return a.match < b.match
}

// lookup returns the best rule's target for a request without fields or
// query.
func (m *refMatcher) lookup(host, path, method string) (string, bool) {
	return m.match(refRequest{host: host, path: path, method: method})
}

// match returns the best rule's target for the request.
func (m *refMatcher) match(q refRequest) (string, bool) {
	host, path, method := q.host, q.path, q.method
	h, literal, ok := refHost(host)
	if !ok {
		return "", false
	}
	var best rank
	var target string
	found := false
	for i, r := range m.rules {
		rk := rank{position: map[Position]int{PositionPre: 0, PositionTree: 1, PositionPost: 2}[r.Position]}
		switch {
		case r.Hostname == "*":
			rk.host = 3
		case m.hosts[i] != nil:
			if literal || !m.hosts[i].MatchString(h) {
				continue
			}
			rk.host, rk.hostRegex = 1, r.Hostname
		case strings.HasPrefix(r.Hostname, "*."):
			suffix := r.Hostname[2:]
			if literal || !strings.HasSuffix(h, "."+suffix) || len(h) <= len(suffix)+1 {
				continue
			}
			rk.host, rk.suffixLen = 2, -len(suffix)
		case r.Hostname == h:
			rk.host = 0
		default:
			continue
		}
		if r.Method != "" && r.Method != method {
			continue
		}
		if r.Method == "" {
			rk.noMethod = 1
		}
		switch r.PathType {
		case PathEquals:
			if path != r.Path {
				continue
			}
		case PathRegex:
			if !m.res[i].MatchString(path) {
				continue
			}
			rk.pathClass, rk.pattern = 1, r.Path
		case PathPrefix:
			if !strings.HasPrefix(path, r.Path) {
				continue
			}
			rk.pathClass, rk.prefixLen = 2, -len(r.Path)
		}
		if !refHolds(r, q) {
			continue
		}
		rk.conds, rk.match = -(len(r.Headers) + len(r.Query)), r.Key().Match
		if !found || rk.less(best) {
			best, target, found = rk, r.Target, true
		}
	}
	return target, found
}
