package session

import (
	"github.com/sluiceproxy/sluice/internal/cookie"
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
		if hs[i].Kind == h1.HeaderCookie {
			if v := cookie.Value(hs[i].Value, name); v != nil {
				return v
			}
		}
	}
	return nil
}

// appendSetCookie writes the Set-Cookie field that pins the client to the
// backend whose sticky id is id.
func appendSetCookie(out []byte, name, id string) []byte {
	out = cookie.AppendSetCookie(append(out, "Set-Cookie: "...), name, id)
	return append(out, "\r\n"...)
}
