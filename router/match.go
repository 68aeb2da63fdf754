package router

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Position says in which of a table's three rule sets a rule lives, as
// Sōzu's rule positions do: every PositionPre rule is tried before the
// PositionTree rules (the hostname index), every PositionPost rule after
// them. Within each set the priorities of the package comment apply.
type Position uint8

// The positions; the zero value is PositionTree.
const (
	PositionTree Position = iota
	PositionPre
	PositionPost
)

// String returns "tree", "pre" or "post".
func (p Position) String() string {
	switch p {
	case PositionTree:
		return "tree"
	case PositionPre:
		return "pre"
	case PositionPost:
		return "post"
	}
	return "Position(" + strconv.Itoa(int(p)) + ")"
}

// ParsePosition parses "pre", "tree" or "post"; "" means PositionTree.
func ParsePosition(s string) (Position, error) {
	switch s {
	case "", "tree":
		return PositionTree, nil
	case "pre":
		return PositionPre, nil
	case "post":
		return PositionPost, nil
	}
	return 0, &RuleError{Field: "position", Value: s, Reason: `not "pre", "tree" or "post"`}
}

// MatchType says how a Predicate tests a header field or a query
// parameter.
type MatchType uint8

// The match types.
const (
	// MatchExact holds when a value equals Value (case-sensitive).
	MatchExact MatchType = iota
	// MatchPrefix holds when a value starts with Value.
	MatchPrefix
	// MatchRegex holds when Value, a Go RE2 pattern anchored at both
	// ends, matches a value.
	MatchRegex
	// MatchPresent holds when the field or parameter is there, whatever
	// its value.
	MatchPresent
	// MatchAbsent holds when it is not there.
	MatchAbsent
)

var matchNames = [...]string{"exact", "prefix", "regex", "present", "absent"}

// String returns "exact", "prefix", "regex", "present" or "absent".
func (m MatchType) String() string {
	if int(m) < len(matchNames) {
		return matchNames[m]
	}
	return "MatchType(" + strconv.Itoa(int(m)) + ")"
}

// ParseMatchType parses a match type name.
func ParseMatchType(s string) (MatchType, error) {
	for i, n := range matchNames {
		if s == n {
			return MatchType(i), nil
		}
	}
	return 0, &RuleError{Field: "match", Value: s, Reason: `not "exact", "prefix", "regex", "present" or "absent"`}
}

// Predicate is one condition of a rule on a request header field or query
// parameter named Name. A header field's name is matched without regard to
// case, a query parameter's exactly; values are compared as they are (a
// query parameter's after percent-decoding, '+' read as a space). With
// several fields (or parameters) of that name, the condition holds when one
// of them satisfies it (MatchAbsent: when there is none). A field line is
// one value: "a, b" is not split.
type Predicate struct {
	Name  string
	Type  MatchType
	Value string // unused for MatchPresent and MatchAbsent
}

// maxPredicates bounds the conditions of one rule.
const maxPredicates = 16

// normalizePredicates checks the conditions of a rule and returns them in
// canonical order: header names lowercased, each list sorted by name, type
// and value. The lists are copies.
func normalizePredicates(hs, qs []Predicate) (_, _ []Predicate, err error) {
	if len(hs)+len(qs) > maxPredicates {
		return nil, nil, &RuleError{Field: "header", Value: strconv.Itoa(len(hs) + len(qs)),
			Reason: "more than " + strconv.Itoa(maxPredicates) + " conditions"}
	}
	norm := func(field string, ps []Predicate, lower bool) ([]Predicate, error) {
		if len(ps) == 0 {
			return nil, nil
		}
		out := slices.Clone(ps)
		for i := range out {
			p := &out[i]
			if lower {
				p.Name = lowerASCII(p.Name)
			}
			if err := checkPredicate(field, p, lower); err != nil {
				return nil, err
			}
			if p.Type == MatchPresent || p.Type == MatchAbsent {
				p.Value = ""
			}
		}
		slices.SortFunc(out, func(a, b Predicate) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type), strings.Compare(a.Value, b.Value))
		})
		for i := 1; i < len(out); i++ {
			if out[i] == out[i-1] {
				return nil, &RuleError{Field: field, Value: out[i].Name, Reason: "the same condition twice"}
			}
		}
		return out, nil
	}
	if hs, err = norm("header", hs, true); err != nil {
		return nil, nil, err
	}
	if qs, err = norm("query", qs, false); err != nil {
		return nil, nil, err
	}
	return hs, qs, nil
}

// checkPredicate checks one condition's name, type and value.
func checkPredicate(field string, p *Predicate, header bool) error {
	switch {
	case p.Name == "":
		return &RuleError{Field: field, Value: p.Name, Reason: "empty name"}
	case header && !isToken(p.Name):
		return &RuleError{Field: field, Value: p.Name, Reason: "not a header field name"}
	case !header && !validQueryName(p.Name):
		return &RuleError{Field: field, Value: p.Name, Reason: "a query parameter name may not contain '&', '=', '#', a space or a control character"}
	case p.Type > MatchAbsent:
		return &RuleError{Field: field, Value: p.Type.String(), Reason: "unknown match type"}
	case len(p.Value) > 1024:
		return &RuleError{Field: field, Value: p.Name, Reason: "a value longer than 1024 bytes"}
	}
	switch p.Type {
	case MatchExact, MatchPrefix:
		if p.Type == MatchPrefix && p.Value == "" {
			return &RuleError{Field: field, Value: p.Name, Reason: `an empty prefix matches everything: use "present"`}
		}
		for i := 0; i < len(p.Value); i++ {
			if c := p.Value[i]; c < ' ' && c != '\t' || c == 0x7f {
				return &RuleError{Field: field, Value: p.Value, Reason: "a value with a control character can never match"}
			}
		}
	case MatchRegex:
		if p.Value == "" {
			return &RuleError{Field: field, Value: p.Name, Reason: "empty regex"}
		}
		if _, err := regexp.Compile(p.Value); err != nil {
			return &RuleError{Field: field, Value: p.Value, Reason: "bad regex: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
		}
	}
	return nil
}

func validQueryName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '&' || c == '=' || c == '#' {
			return false
		}
	}
	return true
}

// matchKey is the canonical text of normalised conditions: one line per
// condition, "h:" or "q:" then the name, the type and the quoted value.
func matchKey(hs, qs []Predicate) string {
	if len(hs)+len(qs) == 0 {
		return ""
	}
	var b strings.Builder
	for _, l := range []struct {
		tag string
		ps  []Predicate
	}{{"h:", hs}, {"q:", qs}} {
		for _, p := range l.ps {
			name := p.Name
			if l.tag == "h:" {
				name = lowerASCII(name)
			}
			b.WriteString(l.tag)
			b.WriteString(strconv.Quote(name))
			b.WriteByte(' ')
			b.WriteString(p.Type.String())
			if p.Type < MatchPresent {
				b.WriteByte(' ')
				b.WriteString(strconv.Quote(p.Value))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// preds are a rule's compiled conditions.
type preds struct {
	headers []pred
	query   []pred
}

type pred struct {
	name  string
	typ   MatchType
	value string
	re    *regexp.Regexp
}

func compilePredicates(hs, qs []Predicate) (*preds, error) {
	if len(hs)+len(qs) == 0 {
		return nil, nil
	}
	ps := &preds{}
	for _, l := range []struct {
		dst *[]pred
		src []Predicate
	}{{&ps.headers, hs}, {&ps.query, qs}} {
		for _, p := range l.src {
			c := pred{name: p.Name, typ: p.Type, value: p.Value}
			if p.Type == MatchRegex {
				re, err := regexp.Compile("^(?:" + p.Value + ")$")
				if err != nil {
					return nil, &RuleError{Field: "header", Value: p.Value, Reason: "bad regex: " + err.Error()}
				}
				c.re = re
			}
			*l.dst = append(*l.dst, c)
		}
	}
	return ps, nil
}

// Request is what Match looks a request up by.
type Request struct {
	// Host, Path and Method are as Lookup takes them.
	Host, Path, Method []byte
	// Query is the raw query string, without its '?' (may be empty).
	Query []byte
	// Fields are the request's header fields; nil when it has none.
	Fields Fields
}

// Fields gives a router the header fields of a request without copying
// them. Field's slices are only read during the lookup.
type Fields interface {
	NumFields() int
	Field(i int) (name, value []byte)
}

// holds reports whether every condition holds for r. It does not
// allocate, except to percent-decode a query value of over 256 bytes, or
// one a regex condition tests.
func (ps *preds) holds(r *Request) bool {
	for i := range ps.headers {
		if !ps.headers[i].holdsHeader(r.Fields) {
			return false
		}
	}
	for i := range ps.query {
		if !ps.query[i].holdsQuery(r.Query) {
			return false
		}
	}
	return true
}

// test applies an exact or prefix condition to v.
func (p *pred) test(v []byte) bool {
	if p.typ == MatchExact {
		return string(v) == p.value
	}
	return len(v) >= len(p.value) && string(v[:len(p.value)]) == p.value
}

func (p *pred) holdsHeader(fs Fields) bool {
	found := false
	if fs != nil {
		for i, n := 0, fs.NumFields(); i < n; i++ {
			name, value := fs.Field(i)
			if len(name) != len(p.name) || !equalLower(name, p.name) {
				continue
			}
			if p.typ == MatchAbsent {
				return false
			}
			found = true
			switch p.typ {
			case MatchPresent:
				return true
			case MatchRegex:
				if p.re.Match(value) {
					return true
				}
			default:
				if p.test(value) {
					return true
				}
			}
		}
	}
	return p.typ == MatchAbsent && !found
}

func (p *pred) holdsQuery(q []byte) bool {
	var buf [256]byte // decoding space; never reaches a regexp, so it stays on the stack
	for len(q) > 0 {
		var pair []byte
		if i := indexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			pair, q = q, nil
		}
		if len(pair) == 0 {
			continue
		}
		name, value := pair, []byte(nil)
		if i := indexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		if !decodedEquals(name, p.name, buf[:0]) {
			continue
		}
		switch p.typ {
		case MatchAbsent:
			return false
		case MatchPresent:
			return true
		case MatchRegex:
			if !escaped(value) {
				if p.re.Match(value) {
					return true
				}
			} else if p.re.Match(decode(value, nil)) { // allocates: a regex on an escaped value
				return true
			}
		default:
			v := value
			if escaped(value) {
				v = decode(value, buf[:0])
			}
			if p.test(v) {
				return true
			}
		}
	}
	return p.typ == MatchAbsent
}

// escaped reports whether a query component needs decoding.
func escaped(s []byte) bool { return indexByte(s, '%') >= 0 || indexByte(s, '+') >= 0 }

// equalLower compares b with lower, a lowercase string of the same length,
// ignoring ASCII case in b.
func equalLower(b []byte, lower string) bool {
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// decode percent-decodes a query component into dst ('+' is a space; a
// malformed escape is kept as it is) and returns it. dst grows (allocates)
// only past its capacity.
func decode(s, dst []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

func decodedEquals(s []byte, want string, dst []byte) bool {
	if !escaped(s) {
		return string(s) == want
	}
	return string(decode(s, dst)) == want
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
