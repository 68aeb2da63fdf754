package order

import (
	"fmt"
	"strconv"
	"strings"
)

// The routing and rewrite settings of http frontends and clusters (issue
// 16): rule positions, conditions on header fields and query parameters,
// redirects, host and path rewrites, header edits. Their syntax is checked
// here; what needs the router or the header table (regexes, templates, the
// fields the proxy writes itself) is checked when the order is applied.

// Position is where a frontend's rule sits in its listener's routing
// table (Sōzu's rule positions): pre rules are tried before every tree
// rule, post rules after them.
type Position string

// The positions; empty means Tree.
const (
	Tree Position = "tree"
	Pre  Position = "pre"
	Post Position = "post"
)

// Match says how a Predicate tests a value.
type Match string

// The match types.
const (
	MatchExact   Match = "exact"   // the value equals Value
	MatchPrefix  Match = "prefix"  // the value starts with Value
	MatchRegex   Match = "regex"   // Value, a Go RE2 pattern anchored at both ends, matches the value
	MatchPresent Match = "present" // the field or parameter is there (Value unused)
	MatchAbsent  Match = "absent"  // it is not there (Value unused)
)

// Predicate is a condition of a frontend on a request header field
// (names match without regard to case) or query parameter (names and
// values are percent-decoded first). With several fields or parameters of
// that name, one satisfying it is enough; absent holds when there is none.
type Predicate struct {
	Name  string `json:"name"`
	Match Match  `json:"match"`
	Value string `json:"value,omitempty"`
}

// Redirect answers a frontend's requests with a redirection instead of
// forwarding them.
type Redirect struct {
	// Status is 301 (the default), 302, 307 or 308.
	Status int `json:"status,omitempty"`
	// Scheme of the Location: "http", "https", or empty for the
	// request's own.
	Scheme string `json:"scheme,omitempty"`
	// Port of the Location, 1 to 65535, left out when it is the scheme's
	// default. 0: the request's port when the scheme stays, none when it
	// changes.
	Port int `json:"port,omitempty"`
	// Location, when set, is a template of the whole Location (see
	// docs/routing.md: $HOST, $HOST[n], $PATH, $PATH[n], $QUERY, $$);
	// Scheme and Port are then unused. Empty: scheme://host[:port]/path?query
	// of the (rewritten) request.
	Location string `json:"location,omitempty"`
}

// EditPosition says which head a HeaderEdit changes.
type EditPosition string

// The edit positions.
const (
	EditRequest  EditPosition = "request"  // the request sent to the backend
	EditResponse EditPosition = "response" // the backend's response sent to the client
)

// EditAction is what a HeaderEdit does.
type EditAction string

// The edit actions.
const (
	EditSet    EditAction = "set"    // replace every field of that name by one with Value
	EditAdd    EditAction = "add"    // add a field, keeping those there
	EditDelete EditAction = "delete" // remove every field of that name
)

// HeaderEdit changes a header field on its way through the proxy. Edits
// never touch the fields the proxy writes itself (Host, the framing and
// hop-by-hop fields, the forwarding fields, the request id): such names
// are refused.
type HeaderEdit struct {
	Position EditPosition `json:"position"`
	Action   EditAction   `json:"action"`
	Name     string       `json:"name"`
	Value    string       `json:"value,omitempty"`
}

// maxEdits bounds the header edits of one frontend or cluster.
const maxEdits = 64

// validateRoute checks the syntax of a frontend's routing and rewrite
// settings.
func (f *HTTPFrontend) validateRoute() error {
	switch f.Position {
	case "", Tree, Pre, Post:
	default:
		return fieldErr("frontend.position", "%q is not pre, tree or post", f.Position)
	}
	if err := validatePredicates("frontend.match_headers", f.MatchHeaders); err != nil {
		return err
	}
	if err := validatePredicates("frontend.match_query", f.MatchQuery); err != nil {
		return err
	}
	if f.Redirect != nil {
		if err := f.Redirect.validate("frontend.redirect"); err != nil {
			return err
		}
	}
	if f.RewriteHost != "" && f.Deny {
		return fieldErr("frontend.rewrite_host", "a deny frontend sends nothing on")
	}
	if f.RewritePath != "" && f.Deny {
		return fieldErr("frontend.rewrite_path", "a deny frontend sends nothing on")
	}
	if len(f.Headers) > 0 && (f.Deny || f.Redirect != nil) {
		return fieldErr("frontend.headers", "a deny or redirect frontend sends nothing to a backend")
	}
	return validateEdits("frontend.headers", f.Headers)
}

func validatePredicates(field string, ps []Predicate) error {
	for i, p := range ps {
		at := field + "[" + strconv.Itoa(i) + "]"
		if p.Name == "" {
			return fieldErr(at+".name", "missing")
		}
		switch p.Match {
		case MatchExact, MatchPrefix, MatchRegex:
		case MatchPresent, MatchAbsent:
			if p.Value != "" {
				return fieldErr(at+".value", "%s takes no value", p.Match)
			}
		case "":
			return fieldErr(at+".match", "missing (exact, prefix, regex, present or absent)")
		default:
			return fieldErr(at+".match", "%q is not exact, prefix, regex, present or absent", p.Match)
		}
	}
	return nil
}

func (r *Redirect) validate(field string) error {
	switch r.Status {
	case 0, 301, 302, 307, 308:
	default:
		return fieldErr(field+".status", "%d is not 301, 302, 307 or 308", r.Status)
	}
	switch r.Scheme {
	case "", "http", "https":
	default:
		return fieldErr(field+".scheme", "%q is not http or https", r.Scheme)
	}
	if r.Port < 0 || r.Port > 65535 {
		return fieldErr(field+".port", "%d is outside 1..65535", r.Port)
	}
	if r.Location != "" && (r.Scheme != "" || r.Port != 0) {
		return fieldErr(field+".location", "a location template gives the scheme and port itself")
	}
	return nil
}

func validateEdits(field string, es []HeaderEdit) error {
	if len(es) > maxEdits {
		return fieldErr(field, "more than %d edits", maxEdits)
	}
	for i, e := range es {
		at := field + "[" + strconv.Itoa(i) + "]"
		switch e.Position {
		case EditRequest, EditResponse:
		case "":
			return fieldErr(at+".position", "missing (request or response)")
		default:
			return fieldErr(at+".position", "%q is not request or response", e.Position)
		}
		switch e.Action {
		case EditSet, EditAdd:
		case EditDelete:
			if e.Value != "" {
				return fieldErr(at+".value", "delete takes no value")
			}
		case "":
			return fieldErr(at+".action", "missing (set, add or delete)")
		default:
			return fieldErr(at+".action", "%q is not set, add or delete", e.Action)
		}
		if e.Name == "" {
			return fieldErr(at+".name", "missing")
		}
		if !isToken(e.Name) {
			return fieldErr(at+".name", "%q is not a header field name", e.Name)
		}
		if strings.IndexFunc(e.Value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) >= 0 {
			return fieldErr(at+".value", "a control character in a header value")
		}
		if e.Value != strings.Trim(e.Value, " \t") {
			return fieldErr(at+".value", "leading or trailing whitespace in a header value")
		}
	}
	return nil
}

// routeString describes the frontend's position and conditions, which are
// part of its key, for log lines and events; "" when it has none.
func (f *HTTPFrontend) routeString() string {
	var b strings.Builder
	if f.Position != "" && f.Position != Tree {
		fmt.Fprintf(&b, " position=%s", f.Position)
	}
	for _, p := range f.MatchHeaders {
		fmt.Fprintf(&b, " header:%s=%s", p.Name, p.Match)
		if p.Value != "" {
			fmt.Fprintf(&b, ":%q", p.Value)
		}
	}
	for _, p := range f.MatchQuery {
		fmt.Fprintf(&b, " query:%s=%s", p.Name, p.Match)
		if p.Value != "" {
			fmt.Fprintf(&b, ":%q", p.Value)
		}
	}
	return b.String()
}
