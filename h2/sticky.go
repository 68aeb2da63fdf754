package h2

import (
	"github.com/sluiceproxy/sluice/internal/cookie"
)

// Sticky sessions on HTTP/2 streams work as on HTTP/1.1 (see package
// session): the cookie picks the backend, never reaches it, and is set
// when the backend that served differs from the one it named.

// stickyCookie returns the request's sticky cookie value, or nil.
func (st *stream) stickyCookie() []byte {
	name := st.set.CookieName()
	for _, v := range st.r.Header["Cookie"] {
		if c := cookie.Value([]byte(v), name); c != nil {
			return c
		}
	}
	return nil
}

// appendCookies writes the request's Cookie fields less the sticky
// cookie (HTTP/2 sends cookies as separate fields; HTTP/1.1 backends get
// them joined, RFC 9113 §8.2.3).
func (st *stream) appendCookies(out []byte) []byte {
	vs := st.r.Header["Cookie"]
	if len(vs) == 0 {
		return out
	}
	mark := len(out)
	out = append(out, "Cookie: "...)
	body := len(out)
	for _, v := range vs {
		if !st.sticky {
			if len(out) > body {
				out = append(out, "; "...)
			}
			out = append(out, v...)
			continue
		}
		sep := len(out)
		if len(out) > body {
			out = append(out, "; "...)
		}
		var kept bool
		if out, kept = cookie.AppendWithout(out, []byte(v), st.set.CookieName()); !kept {
			out = out[:sep]
		}
	}
	if len(out) == body {
		return out[:mark]
	}
	return append(out, "\r\n"...)
}
