package router

import (
	"cmp"
	"slices"
	"strings"
)

// Table is an immutable routing table. Its zero value, New[T]() and a nil
// *Table are all empty tables. All methods are safe for concurrent use,
// since no method modifies a Table: Add and Remove return a new Table that
// shares most of its memory with the receiver, which stays valid and
// unchanged.
type Table[T any] struct {
	tree      rules[T]  // PositionTree rules
	pre, post *rules[T] // PositionPre and PositionPost rules, nil when none
	n         int       // number of rules
}

// rules is one position's rule set: hostnames in their indexes.
type rules[T any] struct {
	exact hostIndex[T]  // exact hostnames and IPv6 literals
	regex regexHosts[T] // regex hostnames, by name
	wild  hostIndex[T]  // wildcards, keyed by the suffix after "*."
	all   *hostRules[T] // the catch-all "*", or nil
}

// New returns an empty table.
func New[T any]() *Table[T] {
	return &Table[T]{}
}

// set returns the rule set of position p in t (nil for an absent pre or
// post set) and where to store a changed one.
func (t *Table[T]) set(p Position) (*rules[T], func(*rules[T])) {
	switch p {
	case PositionPre:
		return t.pre, func(r *rules[T]) { t.pre = r.orNil() }
	case PositionPost:
		return t.post, func(r *rules[T]) { t.post = r.orNil() }
	}
	return &t.tree, func(r *rules[T]) { t.tree = *r }
}

// orNil returns nil for an empty set.
func (rs *rules[T]) orNil() *rules[T] {
	if rs.exact.hosts == 0 && rs.wild.hosts == 0 && len(rs.regex) == 0 && rs.all == nil {
		return nil
	}
	return rs
}

// Add returns a new table with r added. If the table already holds a rule
// with the same Key, the new table holds r in its place (same key, r's
// Target). r is validated as by ValidateRule; on error Add returns the
// receiver unchanged and a *RuleError. The regexes of r (path, hostname,
// conditions) are compiled here, once.
func (t *Table[T]) Add(r Rule[T]) (*Table[T], error) {
	e, err := compileRule(r)
	if err != nil {
		return t, err
	}
	var nt Table[T]
	if t != nil {
		nt = *t
	}
	cur, store := nt.set(e.rule.Position)
	var rs rules[T]
	if cur != nil {
		rs = *cur
	}
	var replaced bool
	switch kind, name := kindOf(e.rule.Hostname); kind {
	case hostCatchAll:
		rs.all, replaced = rs.all.with(name, e)
	case hostRegex:
		var hr *hostRules[T]
		hr, replaced = rs.regex.get(name).with(name, e)
		rs.regex = rs.regex.with(name, hr)
	case hostWildcard:
		var hr *hostRules[T]
		hr, replaced = rs.wild.getString(name).with(name, e)
		rs.wild = rs.wild.with(name, hr)
	default:
		var hr *hostRules[T]
		hr, replaced = rs.exact.getString(name).with(name, e)
		rs.exact = rs.exact.with(name, hr)
	}
	store(&rs)
	if !replaced {
		nt.n++
	}
	return &nt, nil
}

// Remove returns a new table without the rule whose key is k, and true; if
// there is no such rule it returns the receiver and false. k.Hostname is
// normalised first (so a hand-built key such as {"Example.COM.", ...} also
// works); the other fields must match exactly (Match as Rule.Key makes it).
func (t *Table[T]) Remove(k Key) (*Table[T], bool) {
	if t == nil || t.n == 0 || k.PathType > PathRegex || k.Position > PositionPost {
		return t, false
	}
	h, err := NormalizeHostname(k.Hostname)
	if err != nil {
		return t, false
	}
	nt := *t
	cur, store := nt.set(k.Position)
	if cur == nil {
		return t, false
	}
	rs := *cur
	var found bool
	switch kind, name := kindOf(h); kind {
	case hostCatchAll:
		rs.all, found = rs.all.without(k)
	case hostRegex:
		var hr *hostRules[T]
		if hr, found = rs.regex.get(name).without(k); found {
			rs.regex = rs.regex.with(name, hr)
		}
	case hostWildcard:
		var hr *hostRules[T]
		if hr, found = rs.wild.getString(name).without(k); found {
			rs.wild = rs.wild.with(name, hr)
		}
	default:
		var hr *hostRules[T]
		if hr, found = rs.exact.getString(name).without(k); found {
			rs.exact = rs.exact.with(name, hr)
		}
	}
	if !found {
		return t, false
	}
	store(&rs)
	nt.n--
	return &nt, true
}

// Lookup returns the target of the rule that wins the request (host, path,
// method) under the priorities of the package comment, and true; or the
// zero T and false when no rule matches. host is the request's host, with
// or without port, in any case; path is the request path without query
// string; method is the request method. The request has no header field
// and no query: rules with conditions on them that need one to be there
// do not match. Lookup does not allocate and its cost does not grow with
// the number of hostnames in the table.
func (t *Table[T]) Lookup(host, path, method []byte) (T, bool) {
	return t.Match(&Request{Host: host, Path: path, Method: method})
}

// Match is Lookup for a whole request: its host, path and method, and its
// header fields and query for the rules with conditions on them. It does
// not allocate, except as regex conditions on query parameters need (see
// Predicate) and when regex hostnames are tried on a pool miss.
func (t *Table[T]) Match(r *Request) (T, bool) {
	var zero T
	if t == nil || t.n == 0 {
		return zero, false
	}
	var buf [maxRequestHost + 1]byte
	h, literal, ok := normalizeRequestHost(&buf, r.Host)
	if !ok {
		return zero, false
	}
	if t.pre != nil {
		if v, ok := t.pre.match(h, literal, r); ok {
			return v, true
		}
	}
	if v, ok := t.tree.match(h, literal, r); ok {
		return v, true
	}
	if t.post != nil {
		return t.post.match(h, literal, r)
	}
	return zero, false
}

// match looks the normalised host h up in one position's rules.
func (rs *rules[T]) match(h []byte, literal bool, r *Request) (T, bool) {
	if rs.exact.hosts > 0 {
		if hr := rs.exact.get(h); hr != nil {
			if v, ok := hr.match(r); ok {
				return v, true
			}
		}
	}
	if len(rs.regex) > 0 && !literal {
		if v, ok := rs.regex.match(h, r); ok {
			return v, true
		}
	}
	if rs.wild.hosts > 0 && !literal {
		// Longest suffix first: strip one leading label at a time. The
		// label before a suffix must be non-empty (i > 0).
		for i := 1; i < len(h); i++ {
			if h[i] != '.' {
				continue
			}
			if hr := rs.wild.get(h[i+1:]); hr != nil {
				if v, ok := hr.match(r); ok {
					return v, true
				}
			}
		}
	}
	if rs.all != nil {
		return rs.all.match(r)
	}
	var zero T
	return zero, false
}

// Len returns the number of rules in the table.
func (t *Table[T]) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// Rules returns all rules of the table, with normalised hostnames, sorted
// by key: hostname (byte order), then path type (prefix, equals, regex),
// then path, then method, then position and conditions. The slice is new;
// the caller may keep it.
func (t *Table[T]) Rules() []Rule[T] {
	if t == nil || t.n == 0 {
		return nil
	}
	out := make([]Rule[T], 0, t.n)
	add := func(hr *hostRules[T]) { out = hr.appendRules(out) }
	for _, rs := range []*rules[T]{t.pre, &t.tree, t.post} {
		if rs == nil {
			continue
		}
		rs.exact.each(add)
		for _, rh := range rs.regex {
			add(rh.rules)
		}
		rs.wild.each(add)
		if rs.all != nil {
			add(rs.all)
		}
	}
	slices.SortFunc(out, func(a, b Rule[T]) int { return cmpKey(a.Key(), b.Key()) })
	return out
}

// cmpKey orders keys for Rules.
func cmpKey(a, b Key) int {
	return cmp.Or(
		strings.Compare(a.Hostname, b.Hostname),
		cmp.Compare(a.PathType, b.PathType),
		strings.Compare(a.Path, b.Path),
		strings.Compare(a.Method, b.Method),
		cmp.Compare(a.Position, b.Position),
		strings.Compare(a.Match, b.Match),
	)
}
