package session

import (
	"github.com/sluiceproxy/sluice/internal/h1"
)

// Sticky sessions: a cluster with sticky_session pins a client to a
// backend with a cookie (named by the listener's sticky_name) whose value is
// the backend's sticky id. A request whose cookie names a usable backend
// goes there; otherwise it is balanced and the response sets the cookie to
// the backend that served it. The cookie never reaches the backend.

// DefaultStickyName is the sticky-session cookie name of listeners that set
// none.
const DefaultStickyName = "SLUICEBALANCEID"

// cookieValue returns the value of the first cookie called name in the
// Cookie fields of hs, or nil. It allocates nothing.
func cookieValue(hs []h1.Header, name string) []byte {
	for i := range hs {
		if hs[i].Kind != h1.HeaderCookie {
			continue
		}
		v := hs[i].Value
		for len(v) > 0 {
			var pair []byte
			pair, v = nextCookie(v)
			if n, val, ok := splitCookie(pair); ok && string(n) == name {
				return val
			}
		}
	}
	return nil
}

// appendCookiesWithout appends the cookie pairs of value other than those
// called name, "; "-separated, and reports whether it appended any.
func appendCookiesWithout(out, value []byte, name string) ([]byte, bool) {
	any := false
	for len(value) > 0 {
		var pair []byte
		pair, value = nextCookie(value)
		if len(pair) == 0 {
			continue
		}
		if n, _, ok := splitCookie(pair); ok && string(n) == name {
			continue
		}
		if any {
			out = append(out, "; "...)
		}
		out = append(out, pair...)
		any = true
	}
	return out, any
}

// nextCookie splits the first ';'-separated pair off v, trimmed of spaces.
func nextCookie(v []byte) (pair, rest []byte) {
	end := len(v)
	for i, c := range v {
		if c == ';' {
			end = i
			break
		}
	}
	pair = v[:end]
	if end < len(v) {
		rest = v[end+1:]
	}
	for len(pair) > 0 && (pair[0] == ' ' || pair[0] == '\t') {
		pair = pair[1:]
	}
	for len(pair) > 0 && (pair[len(pair)-1] == ' ' || pair[len(pair)-1] == '\t') {
		pair = pair[:len(pair)-1]
	}
	return pair, rest
}

// splitCookie splits name=value, unquoting a DQUOTE-wrapped value.
func splitCookie(pair []byte) (name, value []byte, ok bool) {
	for i, c := range pair {
		if c == '=' {
			name, value = pair[:i], pair[i+1:]
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			return name, value, true
		}
	}
	return nil, nil, false
}

// appendSetCookie writes the Set-Cookie field that pins the client to the
// backend whose sticky id is id.
func appendSetCookie(out []byte, name, id string) []byte {
	out = append(out, "Set-Cookie: "...)
	out = append(out, name...)
	out = append(out, '=')
	out = append(out, id...)
	return append(out, "; Path=/; HttpOnly\r\n"...)
}
