package rewrite

import (
	"fmt"
	"strconv"
	"strings"
)

// Template is a compiled rewrite template: literal text and variables,
// parsed once when its frontend is added, rendered for each request
// without parsing or allocating.
//
// The variables:
//
//	$HOST      the request host, lowercased, without port or trailing dot
//	$HOST[n]   capture n of the frontend's hostname: for "*.example.com",
//	           $HOST[1] is what the '*' stood for; for a regex hostname,
//	           its n-th capture group ($HOST[0] is $HOST)
//	$PATH      the request path, without the query
//	$PATH[n]   capture n of the frontend's path rule: for a regex path, its
//	           n-th capture group; for a prefix, $PATH[1] is what follows
//	           the prefix ($PATH[0] is $PATH)
//	$QUERY     the query, without its '?' (empty when there is none)
//	$$         a '$'
//
// A capture that took no part in the match is empty.
type Template struct {
	src    string
	pieces []piece
	// maxHost and maxPath are the highest capture numbers used (0: none).
	maxHost, maxPath int
	// vars are the variables used, by kind.
	vars [numKinds]bool
}

type kind uint8

const (
	literal kind = iota
	hostVar
	pathVar
	queryVar
	numKinds
)

var kindNames = [numKinds]string{"", "$HOST", "$PATH", "$QUERY"}

type piece struct {
	kind kind
	n    int    // capture number of hostVar and pathVar (0: the whole)
	lit  []byte // literal
}

// maxCapture bounds capture numbers ($PATH[99]).
const maxCapture = 99

// String returns the template as written.
func (t *Template) String() string { return t.src }

// ParseError is a template that does not parse.
type ParseError struct {
	Template string
	Offset   int // byte offset of the problem
	Reason   string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("template %q, at byte %d: %s", e.Template, e.Offset, e.Reason)
}

// syntax says what a template may contain: the variables it may use and
// the bytes its literal text may hold.
type syntax struct {
	what    string // "a path", "a host", ...
	allowed [numKinds]bool
	litOK   func(c byte) bool
}

// Parse compiles the template src with the syntax s. It allocates the
// template's pieces; rendering allocates nothing.
func parse(src string, s syntax) (*Template, error) {
	t := &Template{src: src}
	fail := func(off int, format string, args ...any) (*Template, error) {
		return nil, &ParseError{Template: src, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if src == "" {
		return fail(0, "empty")
	}
	if len(src) > 1024 {
		return fail(1024, "longer than 1024 bytes")
	}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			t.pieces = append(t.pieces, piece{kind: literal, lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c != '$' {
			if !s.litOK(c) {
				return fail(i, "%s cannot contain %s", s.what, strconv.QuoteRune(rune(c)))
			}
			lit = append(lit, c)
			i++
			continue
		}
		if strings.HasPrefix(src[i:], "$$") {
			if !s.litOK('$') {
				return fail(i, "%s cannot contain '$'", s.what)
			}
			lit = append(lit, '$')
			i += 2
			continue
		}
		var k kind
		switch {
		case strings.HasPrefix(src[i:], "$HOST"):
			k = hostVar
		case strings.HasPrefix(src[i:], "$PATH"):
			k = pathVar
		case strings.HasPrefix(src[i:], "$QUERY"):
			k = queryVar
		default:
			return fail(i, "unknown variable (want $HOST, $HOST[n], $PATH, $PATH[n], $QUERY or $$)")
		}
		if !s.allowed[k] {
			return fail(i, "%s cannot be used in %s", kindNames[k], s.what)
		}
		i += len(kindNames[k])
		n := 0
		if k != queryVar && i < len(src) && src[i] == '[' {
			end := strings.IndexByte(src[i:], ']')
			if end < 0 {
				return fail(i, "unclosed '['")
			}
			digits := src[i+1 : i+end]
			v, err := strconv.Atoi(digits)
			if err != nil || v < 0 || v > maxCapture || digits != strconv.Itoa(v) {
				return fail(i+1, "a capture number is 0 to %d", maxCapture)
			}
			n = v
			i += end + 1
		}
		flush()
		t.pieces = append(t.pieces, piece{kind: k, n: n})
		t.vars[k] = true
		switch k {
		case hostVar:
			t.maxHost = max(t.maxHost, n)
		case pathVar:
			t.maxPath = max(t.maxPath, n)
		}
	}
	flush()
	return t, nil
}

// Vars are the values of a request's template variables. A front's
// exchange keeps one and fills it per request (Frontend.Fill); its slices
// alias the request and its buffers.
type Vars struct {
	// Host is the request host, lowercased, without port or trailing dot.
	Host []byte
	// Path is the request path; Query its query without '?'.
	Path, Query []byte
	// HostCaps and PathCaps are capture offsets into Host and Path, as
	// regexp's FindSubmatchIndex gives them (pair 0 the whole, -1 for a
	// group that took no part); nil when the frontend needs none.
	HostCaps, PathCaps []int

	hostBuf [256]byte // Host's bytes
	caps    [8]int    // room for the captures of a wildcard [0:4] and a prefix [4:8]
}

func capture(s []byte, caps []int, n int) []byte {
	if n == 0 {
		return s
	}
	if 2*n+1 >= len(caps) || caps[2*n] < 0 {
		return nil
	}
	return s[caps[2*n]:caps[2*n+1]]
}

// Append renders the template for v onto dst.
func (t *Template) Append(dst []byte, v *Vars) []byte {
	for i := range t.pieces {
		p := &t.pieces[i]
		switch p.kind {
		case literal:
			dst = append(dst, p.lit...)
		case hostVar:
			dst = append(dst, capture(v.Host, v.HostCaps, p.n)...)
		case pathVar:
			dst = append(dst, capture(v.Path, v.PathCaps, p.n)...)
		case queryVar:
			dst = append(dst, v.Query...)
		}
	}
	return dst
}

// The syntaxes of the three kinds of templates.
var (
	// hostSyntax: a host name's bytes and host captures.
	hostSyntax = syntax{what: "a host", allowed: [numKinds]bool{hostVar: true}, litOK: func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_'
	}}
	// pathSyntax: a path's bytes (no query: it is kept as it came).
	pathSyntax = syntax{what: "a path", allowed: [numKinds]bool{hostVar: true, pathVar: true}, litOK: pathByte}
	// locationSyntax: a URL's bytes, every variable.
	locationSyntax = syntax{what: "a location", allowed: [numKinds]bool{hostVar: true, pathVar: true, queryVar: true},
		litOK: func(c byte) bool { return pathByte(c) || c == '?' || c == '#' }}
)

// pathByte reports a byte an origin-form path may hold literally.
func pathByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '?' && c != '#' && c != '"' && c != '\\' && c != '<' && c != '>' &&
		c != '^' && c != '`' && c != '{' && c != '|' && c != '}'
}

// ParseHost, ParsePath and ParseLocation compile a host rewrite, a path
// rewrite and a redirect's Location.
func ParseHost(src string) (*Template, error)     { return parse(src, hostSyntax) }
func ParsePath(src string) (*Template, error)     { return parse(src, pathSyntax) }
func ParseLocation(src string) (*Template, error) { return parse(src, locationSyntax) }
