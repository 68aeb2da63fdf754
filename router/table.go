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
	exact hostIndex[T]  // exact hostnames and IPv6 literals
	wild  hostIndex[T]  // wildcards, keyed by the suffix after "*."
	all   *hostRules[T] // the catch-all "*", or nil
	n     int           // number of rules
}

// New returns an empty table.
func New[T any]() *Table[T] {
	return &Table[T]{}
}

// Add returns a new table with r added. If the table already holds a rule
// with the same Key, the new table holds r in its place (same key, r's
// Target). r is validated as by ValidateRule; on error Add returns the
// receiver unchanged and a *RuleError. The regex of a PathRegex rule is
// compiled here, once.
func (t *Table[T]) Add(r Rule[T]) (*Table[T], error) {
	e, err := compileRule(r)
	if err != nil {
		return t, err
	}
	var nt Table[T]
	if t != nil {
		nt = *t
	}
	var replaced bool
	switch kind, name := kindOf(e.rule.Hostname); kind {
	case hostCatchAll:
		nt.all, replaced = nt.all.with(name, e)
	case hostWildcard:
		var hr *hostRules[T]
		hr, replaced = nt.wild.getString(name).with(name, e)
		nt.wild = nt.wild.with(name, hr)
	default:
		var hr *hostRules[T]
		hr, replaced = nt.exact.getString(name).with(name, e)
		nt.exact = nt.exact.with(name, hr)
	}
	if !replaced {
		nt.n++
	}
	return &nt, nil
}

// Remove returns a new table without the rule whose key is k, and true; if
// there is no such rule it returns the receiver and false. k.Hostname is
// normalised first (so a hand-built key such as {"Example.COM.", ...} also
// works); path, path type and method must match exactly.
func (t *Table[T]) Remove(k Key) (*Table[T], bool) {
	if t == nil || t.n == 0 || k.PathType > PathRegex {
		return t, false
	}
	h, err := NormalizeHostname(k.Hostname)
	if err != nil {
		return t, false
	}
	nt := *t
	var found bool
	switch kind, name := kindOf(h); kind {
	case hostCatchAll:
		nt.all, found = nt.all.without(k)
	case hostWildcard:
		var hr *hostRules[T]
		if hr, found = nt.wild.getString(name).without(k); found {
			nt.wild = nt.wild.with(name, hr)
		}
	default:
		var hr *hostRules[T]
		if hr, found = nt.exact.getString(name).without(k); found {
			nt.exact = nt.exact.with(name, hr)
		}
	}
	if !found {
		return t, false
	}
	nt.n--
	return &nt, true
}

// Lookup returns the target of the rule that wins the request (host, path,
// method) under the priorities of the package comment, and true; or the
// zero T and false when no rule matches. host is the request's host, with
// or without port, in any case; path is the request path without query
// string; method is the request method. Lookup does not allocate and its
// cost does not grow with the number of hostnames in the table.
func (t *Table[T]) Lookup(host, path, method []byte) (T, bool) {
	var zero T
	if t == nil || t.n == 0 {
		return zero, false
	}
	var buf [maxRequestHost + 1]byte
	h, literal, ok := normalizeRequestHost(&buf, host)
	if !ok {
		return zero, false
	}
	if t.exact.hosts > 0 {
		if hr := t.exact.get(h); hr != nil {
			if v, ok := hr.match(path, method); ok {
				return v, true
			}
		}
	}
	if t.wild.hosts > 0 && !literal {
		// Longest suffix first: strip one leading label at a time. The
		// label before a suffix must be non-empty (i > 0).
		for i := 1; i < len(h); i++ {
			if h[i] != '.' {
				continue
			}
			if hr := t.wild.get(h[i+1:]); hr != nil {
				if v, ok := hr.match(path, method); ok {
					return v, true
				}
			}
		}
	}
	if t.all != nil {
		return t.all.match(path, method)
	}
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
// then path, then method. The slice is new; the caller may keep it.
func (t *Table[T]) Rules() []Rule[T] {
	if t == nil || t.n == 0 {
		return nil
	}
	out := make([]Rule[T], 0, t.n)
	add := func(hr *hostRules[T]) { out = hr.appendRules(out) }
	t.exact.each(add)
	t.wild.each(add)
	if t.all != nil {
		add(t.all)
	}
	slices.SortFunc(out, func(a, b Rule[T]) int {
		return cmpKey(
			Key{a.Hostname, a.PathType, a.Path, a.Method},
			Key{b.Hostname, b.PathType, b.Path, b.Method})
	})
	return out
}

// cmpKey orders keys for Rules.
func cmpKey(a, b Key) int {
	return cmp.Or(
		strings.Compare(a.Hostname, b.Hostname),
		cmp.Compare(a.PathType, b.PathType),
		strings.Compare(a.Path, b.Path),
		strings.Compare(a.Method, b.Method),
	)
}
