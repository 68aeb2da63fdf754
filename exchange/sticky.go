package exchange

import "github.com/sluiceproxy/sluice/internal/cookie"

// Sticky sessions: a cluster with sticky_session pins a client to a
// backend with a cookie (named by the listener's sticky_name) whose value is
// the backend's sticky id. A request whose cookie names a usable backend
// goes there (Decide finds the cookie; backend.Cluster.Connect tries that
// backend first); otherwise it is balanced and the response sets the
// cookie to the backend that served it. The cookie never reaches a backend
// (appendCookies).

// appendSetCookie appends the value of the Set-Cookie field that pins the
// client to the backend whose sticky id is id.
func (x *Exchange) appendSetCookie(dst []byte, id string) []byte {
	return cookie.AppendSetCookie(dst, x.Set.CookieName(), id)
}
