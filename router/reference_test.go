package router

import (
	"regexp"
	"strings"
)

// refMatcher is a deliberately naive implementation of the matching rules
// of the package comment, used as an oracle: it normalises the request host
// with allocating string functions, checks every rule, and picks the best
// match by comparing ranks. It shares no code with Table's lookup path.
type refMatcher struct {
	rules []Rule[string]
	res   []*regexp.Regexp
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
	}
	return m
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
	host      int    // 0 exact, 1 wildcard, 2 catch-all
	suffixLen int    // wildcard: longer suffix wins (stored negated)
	pathClass int    // 0 equals, 1 regex, 2 prefix
	pattern   string // regex: lexical order
	prefixLen int    // prefix: longer wins (stored negated)
	noMethod  int    // 0 with method, 1 without
}

func (a rank) less(b rank) bool {
	switch {
	case a.host != b.host:
		return a.host < b.host
	case a.suffixLen != b.suffixLen:
		return a.suffixLen < b.suffixLen
	case a.pathClass != b.pathClass:
		return a.pathClass < b.pathClass
	case a.pattern != b.pattern:
		return a.pattern < b.pattern
	case a.prefixLen != b.prefixLen:
		return a.prefixLen < b.prefixLen
	}
	return a.noMethod < b.noMethod
}

// lookup returns the best rule's target for the request.
func (m *refMatcher) lookup(host, path, method string) (string, bool) {
	h, literal, ok := refHost(host)
	if !ok {
		return "", false
	}
	var best rank
	var target string
	found := false
	for i, r := range m.rules {
		var rk rank
		switch {
		case r.Hostname == "*":
			rk.host = 2
		case strings.HasPrefix(r.Hostname, "*."):
			suffix := r.Hostname[2:]
			if literal || !strings.HasSuffix(h, "."+suffix) || len(h) <= len(suffix)+1 {
				continue
			}
			rk.host, rk.suffixLen = 1, -len(suffix)
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
		if !found || rk.less(best) {
			best, target, found = rk, r.Target, true
		}
	}
	return target, found
}
