package router

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// PathType says how a rule's Path is compared with the request path.
type PathType uint8

// The path types, in increasing priority order of their use: PathPrefix
// loses to PathRegex, which loses to PathEquals (see the package comment).
const (
	// PathPrefix matches paths that start with Path (byte-wise). The
	// empty Path matches every path.
	PathPrefix PathType = iota
	// PathEquals matches only the path equal to Path.
	PathEquals
	// PathRegex matches paths matched by the Go (RE2) pattern Path,
	// anchored at both ends.
	PathRegex
)

// String returns "prefix", "equals" or "regex", or "PathType(n)" for a
// value outside the defined constants.
func (p PathType) String() string {
	switch p {
	case PathPrefix:
		return "prefix"
	case PathEquals:
		return "equals"
	case PathRegex:
		return "regex"
	}
	return "PathType(" + strconv.Itoa(int(p)) + ")"
}

// ParsePathType parses "prefix", "equals" or "regex" (exact, lowercase);
// the empty string means PathPrefix. Anything else is an error that names
// the "path type" field.
func ParsePathType(s string) (PathType, error) {
	switch s {
	case "", "prefix":
		return PathPrefix, nil
	case "equals":
		return PathEquals, nil
	case "regex":
		return PathRegex, nil
	}
	return 0, &RuleError{Field: "path type", Value: s, Reason: `not "prefix", "equals" or "regex"`}
}

// Rule maps a (hostname, path rule, optional method) triple to a target.
type Rule[T any] struct {
	// Hostname is an exact name ("example.com"), a wildcard
	// ("*.example.com": one or more labels before "example.com"), the
	// catch-all "*", or an IPv6 literal ("[::1]" or "::1"). Case and one
	// trailing dot are ignored; see NormalizeHostname.
	Hostname string
	// PathType says how Path is compared with the request path.
	PathType PathType
	// Path is, for PathPrefix, "" or a string starting with "/"; for
	// PathEquals, a string starting with "/"; for PathRegex, a non-empty
	// Go RE2 pattern matched against the whole path (compiled as
	// ^(?:Path)$).
	Path string
	// Method is "" (any method) or an exact, case-sensitive method token
	// such as "GET".
	Method string
	// Target is what Lookup returns for a request this rule wins.
	Target T

	// Routing by position and request conditions (issue 16).

	// Position is the table the rule lives in: PositionPre rules are tried
	// before every PositionTree rule, PositionPost rules after them.
	Position Position
	// Headers are conditions on the request's header fields, all of which
	// must hold; Query the same on its query parameters. Their order does
	// not matter (they are kept sorted).
	Headers []Predicate
	Query   []Predicate
}

// Key is the identity of a rule: two rules with equal keys are the same
// frontend, and adding the second replaces the first's Target. Keys are
// comparable and may be used as map keys.
type Key struct {
	// Hostname is the normalised hostname (see NormalizeHostname).
	Hostname string
	PathType PathType
	Path     string
	Method   string

	// Position and request conditions (issue 16).

	Position Position
	// Match is the canonical form of the rule's header and query
	// conditions ("" for none; see Rule.Key).
	Match string
}

// Key returns the rule's identity: its normalised hostname, path type, path
// and method. The Target is not part of it. For a hostname that does not
// validate, Key uses the ASCII-lowercased hostname as given (such a rule
// can never be in a table).
func (r Rule[T]) Key() Key {
	h, err := NormalizeHostname(r.Hostname)
	if err != nil {
		h = lowerASCII(r.Hostname)
	}
	hs, qs, err := normalizePredicates(r.Headers, r.Query)
	if err != nil {
		hs, qs = r.Headers, r.Query
	}
	return Key{Hostname: h, PathType: r.PathType, Path: r.Path, Method: r.Method,
		Position: r.Position, Match: matchKey(hs, qs)}
}

// String returns a compact form of the key, "hostname type path method",
// then the position and the conditions when there are some, for logs and
// error messages.
func (k Key) String() string {
	m := k.Method
	if m == "" {
		m = "*"
	}
	s := k.Hostname + " " + k.PathType.String() + " " + strconv.Quote(k.Path) + " " + m
	if k.Position != PositionTree {
		s += " " + k.Position.String()
	}
	if k.Match != "" {
		s += " [" + strings.ReplaceAll(strings.TrimSuffix(k.Match, "\n"), "\n", ", ") + "]"
	}
	return s
}

// RuleError is the error returned for an invalid rule or hostname. Field is
// "hostname", "path type", "path" or "method".
type RuleError struct {
	Field  string // the offending field
	Value  string // its value as given
	Reason string // why it is refused
}

// Error returns "router: invalid <field> <quoted value>: <reason>".
func (e *RuleError) Error() string {
	return fmt.Sprintf("router: invalid %s %q: %s", e.Field, e.Value, e.Reason)
}

// ValidateRule reports whether r could be added to a table: a valid
// hostname (see NormalizeHostname), a known path type, a path valid for
// that type (prefix: "" or starting with "/"; equals: starting with "/";
// neither may contain control characters, spaces, '?' or '#'; regex: a
// non-empty pattern that compiles) and a method that is "" or an HTTP
// token. The error is a *RuleError naming the field.
func ValidateRule[T any](r Rule[T]) error {
	_, err := compileRule(r)
	return err
}

// entry is a validated rule with its hostname normalised and its regex, if
// any, compiled.
type entry[T any] struct {
	rule  Rule[T]
	re    *regexp.Regexp // PathRegex only
	match string         // Key.Match
	preds *preds         // the compiled conditions, nil when none
}

// compileRule validates r and returns it normalised and compiled.
func compileRule[T any](r Rule[T]) (entry[T], error) {
	h, err := NormalizeHostname(r.Hostname)
	if err != nil {
		return entry[T]{}, err
	}
	r.Hostname = h
	if r.Position > PositionPost {
		return entry[T]{}, &RuleError{Field: "position", Value: r.Position.String(), Reason: "unknown position"}
	}
	if r.Headers, r.Query, err = normalizePredicates(r.Headers, r.Query); err != nil {
		return entry[T]{}, err
	}
	e := entry[T]{rule: r, match: matchKey(r.Headers, r.Query)}
	if e.preds, err = compilePredicates(r.Headers, r.Query); err != nil {
		return e, err
	}
	switch r.PathType {
	case PathPrefix:
		if r.Path != "" && r.Path[0] != '/' {
			return e, pathErr(r.Path, `a prefix path must be empty or start with "/"`)
		}
		if err := checkPathBytes(r.Path); err != nil {
			return e, err
		}
	case PathEquals:
		if r.Path == "" || r.Path[0] != '/' {
			return e, pathErr(r.Path, `an equals path must start with "/"`)
		}
		if err := checkPathBytes(r.Path); err != nil {
			return e, err
		}
	case PathRegex:
		if r.Path == "" {
			return e, pathErr(r.Path, "empty regex")
		}
		// Compile the pattern alone first: a pattern such as "a)|(b"
		// is unbalanced on its own but balanced once wrapped, and would
		// escape the anchoring.
		if _, err := regexp.Compile(r.Path); err != nil {
			return e, pathErr(r.Path, "bad regex: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		re, err := regexp.Compile("^(?:" + r.Path + ")$")
		if err != nil {
			return e, pathErr(r.Path, "bad regex: "+err.Error())
		}
		e.re = re
	default:
		return e, &RuleError{Field: "path type", Value: r.PathType.String(), Reason: "unknown path type"}
	}
	if r.Method != "" && !isToken(r.Method) {
		return e, &RuleError{Field: "method", Value: r.Method, Reason: "not an HTTP method token"}
	}
	return e, nil
}

func pathErr(p, reason string) error {
	return &RuleError{Field: "path", Value: p, Reason: reason}
}

// checkPathBytes refuses bytes a request path (as given to Lookup) can never
// contain, so such a rule could never match.
func checkPathBytes(p string) error {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c <= ' ' || c == 0x7f:
			return pathErr(p, "contains a control character or space")
		case c == '?':
			return pathErr(p, "contains '?' (query strings are not matched)")
		case c == '#':
			return pathErr(p, "contains '#'")
		}
	}
	return nil
}

// isToken reports whether s is a non-empty HTTP token (RFC 9110 tchar*).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
