package router

import (
	"cmp"
	"slices"
	"strings"
)

// hostRules holds the rules of one normalised hostname. It is immutable:
// with and without return a new value that shares the untouched slices.
// Each slice is sorted in match order, so a lookup takes the first entry
// that matches.
//
// A lookup in a big table misses the CPU caches at each pointer it
// follows, so what it reads is kept in the value itself where it fits: the
// name's bytes (names of up to inlineName bytes) and, for a host with a
// single rule (the common case), that rule (pack).
type hostRules[T any] struct {
	nameLen  uint8            // len(name) when nameBuf holds it, else 0
	nameBuf  [inlineName]byte // the name's bytes, when they fit
	prefixes []entry[T]       // longest path first, then path, then method
	equals   []entry[T]       // by path, then method (see cmpMethod)
	regexes  []entry[T]       // by pattern, then method
	one      [1]entry[T]      // the only rule of a single-rule host (pack)
	name     string           // the index key: hostname, or suffix of a wildcard
}

// inlineName is the longest name kept in hostRules.nameBuf.
const inlineName = 63

// newHostRules returns an empty set for the index key name.
func newHostRules[T any](name string) hostRules[T] {
	hr := hostRules[T]{name: name}
	if len(name) > 0 && len(name) <= inlineName {
		hr.nameLen = uint8(copy(hr.nameBuf[:], name))
	}
	return hr
}

// is reports whether name is hr's index key. It does not allocate.
func (hr *hostRules[T]) is(name []byte) bool {
	if n := int(hr.nameLen); n > 0 {
		return n == len(name) && string(hr.nameBuf[:n]) == string(name)
	}
	return hr.name == string(name)
}

// pack finishes a new hr (one that no other value shares yet): a single
// rule moves into hr.one, and a list of one entry that another value may
// hold in its own one is copied out of it, so that hr reaches into no
// older value.
func (hr *hostRules[T]) pack() {
	lists := [...]*[]entry[T]{&hr.prefixes, &hr.equals, &hr.regexes}
	if hr.len() == 1 {
		for _, l := range lists {
			if len(*l) == 1 {
				hr.one[0] = (*l)[0]
				*l = hr.one[:1:1]
				return
			}
		}
	}
	hr.one = [1]entry[T]{}
	for _, l := range lists {
		if len(*l) == 1 {
			*l = slices.Clone(*l)
		}
	}
}

// cmpMethod orders rules with a method before the rule without one, so
// that for the same path rule the method-specific one is found first.
func cmpMethod(a, b string) int {
	if (a == "") != (b == "") {
		if a == "" {
			return 1
		}
		return -1
	}
	return strings.Compare(a, b)
}

// cmpByPath orders equals and regex entries: by path, then method (see
// cmpMethod), then conditions (see cmpMatch).
func cmpByPath[T any](a, b entry[T]) int {
	if c := strings.Compare(a.rule.Path, b.rule.Path); c != 0 {
		return c
	}
	if c := cmpMethod(a.rule.Method, b.rule.Method); c != 0 {
		return c
	}
	return cmpMatch(a.match, b.match)
}

// cmpMatch orders rules by their conditions (Key.Match), for the same path
// rule and method: more conditions first, so that the most specific rule
// is found first; then the canonical text of the conditions.
func cmpMatch(a, b string) int {
	if c := cmp.Compare(strings.Count(b, "\n"), strings.Count(a, "\n")); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// cmpPrefix orders prefix entries, longest first.
func cmpPrefix[T any](a, b entry[T]) int {
	if c := cmp.Compare(len(b.rule.Path), len(a.rule.Path)); c != 0 {
		return c
	}
	return cmpByPath(a, b)
}

// list returns the slice holding rules of type pt and its order.
func (hr *hostRules[T]) list(pt PathType) (*[]entry[T], func(a, b entry[T]) int) {
	switch pt {
	case PathEquals:
		return &hr.equals, cmpByPath[T]
	case PathRegex:
		return &hr.regexes, cmpByPath[T]
	}
	return &hr.prefixes, cmpPrefix[T]
}

// with returns a copy of hr with e added, or replacing the entry with the
// same path type, path and method; replaced says which. A nil hr is an
// empty set for the index key name.
func (hr *hostRules[T]) with(name string, e entry[T]) (_ *hostRules[T], replaced bool) {
	n := newHostRules[T](name)
	if hr != nil {
		n = *hr
	}
	s, order := n.list(e.rule.PathType)
	i, found := slices.BinarySearchFunc(*s, e, order)
	if found {
		c := slices.Clone(*s)
		c[i] = e
		*s = c
	} else {
		c := make([]entry[T], 0, len(*s)+1)
		c = append(c, (*s)[:i]...)
		c = append(c, e)
		*s = append(c, (*s)[i:]...)
	}
	n.pack()
	return &n, found
}

// without returns a copy of hr without the rule with key k's path type,
// path and method, and whether it was there. The copy is nil when no rule
// is left.
func (hr *hostRules[T]) without(k Key) (_ *hostRules[T], found bool) {
	if hr == nil {
		return nil, false
	}
	n := *hr
	s, order := n.list(k.PathType)
	probe := entry[T]{rule: Rule[T]{PathType: k.PathType, Path: k.Path, Method: k.Method}, match: k.Match}
	i, found := slices.BinarySearchFunc(*s, probe, order)
	if !found {
		return hr, false
	}
	*s = slices.Concat((*s)[:i], (*s)[i+1:])
	if len(*s) == 0 {
		*s = nil
	}
	if n.len() == 0 {
		return nil, true
	}
	n.pack()
	return &n, true
}

// len returns the number of rules.
func (hr *hostRules[T]) len() int {
	if hr == nil {
		return 0
	}
	return len(hr.equals) + len(hr.regexes) + len(hr.prefixes)
}

// appendRules appends the rules of hr to dst.
func (hr *hostRules[T]) appendRules(dst []Rule[T]) []Rule[T] {
	for _, s := range [][]entry[T]{hr.equals, hr.regexes, hr.prefixes} {
		for i := range s {
			dst = append(dst, s[i].rule)
		}
	}
	return dst
}

// match returns the target of the best rule of hr for the request's path
// and method, whose conditions hold. It does not allocate (string(b) in
// comparisons does not copy).
func (hr *hostRules[T]) match(r *Request) (T, bool) {
	path, method := r.Path, r.Method
	if eq := hr.equals; len(eq) > 0 {
		// Binary search for the first entry with Path >= path.
		lo, hi := 0, len(eq)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if eq[m].rule.Path < string(path) {
				lo = m + 1
			} else {
				hi = m
			}
		}
		for ; lo < len(eq) && eq[lo].rule.Path == string(path); lo++ {
			e := &eq[lo]
			if m := e.rule.Method; (m == "" || m == string(method)) && (e.preds == nil || e.preds.holds(r)) {
				return e.rule.Target, true
			}
		}
	}
	failed, hasFailed := "", false // last pattern that did not match
	for i := range hr.regexes {
		e := &hr.regexes[i]
		if m := e.rule.Method; m != "" && m != string(method) {
			continue
		}
		if hasFailed && e.rule.Path == failed {
			continue
		}
		if !e.re.Match(path) {
			failed, hasFailed = e.rule.Path, true
			continue
		}
		if e.preds == nil || e.preds.holds(r) {
			return e.rule.Target, true
		}
	}
	for i := range hr.prefixes {
		e := &hr.prefixes[i]
		p := e.rule.Path
		if len(p) > len(path) || string(path[:len(p)]) != p {
			continue
		}
		if m := e.rule.Method; (m == "" || m == string(method)) && (e.preds == nil || e.preds.holds(r)) {
			return e.rule.Target, true
		}
	}
	var zero T
	return zero, false
}
