package session

import (
	"bytes"
	"strconv"

	"github.com/sluiceproxy/sluice/internal/cookie"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// appendRequestHead writes the request head sent to a backend: the request
// line in origin-form, Host (the routed authority) and the body's framing,
// the client's fields less the hop-by-hop ones and those the proxy sets,
// then the forwarding fields and the request id.
func (s *Session) appendRequestHead(out []byte, upgrade []byte) []byte {
	req := s.req
	out = append(out, req.Method...)
	out = append(out, ' ')
	out = req.AppendOrigin(out)
	if req.Minor == 0 {
		out = append(out, " HTTP/1.0\r\n"...)
	} else {
		out = append(out, " HTTP/1.1\r\n"...)
	}
	// The routed authority is the only Host; the framing fields are the
	// proxy's own, normalised: one Content-Length, or chunked alone.
	if len(req.Host) > 0 {
		out = append(out, "Host: "...)
		out = append(out, req.Host...)
		out = append(out, "\r\n"...)
	}
	switch {
	case req.Chunked:
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	case req.ContentLength >= 0:
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, req.ContentLength, 10)
		out = append(out, "\r\n"...)
	}
	nXFF, nFwd := 0, 0
	for i := range req.Headers {
		h := &req.Headers[i]
		switch h.Kind {
		case h1.HeaderHost, h1.HeaderContentLength, h1.HeaderTransferEncoding,
			h1.HeaderConnection, h1.HeaderKeepAlive, h1.HeaderProxyConnection, h1.HeaderTE,
			h1.HeaderUpgrade, h1.HeaderXForwardedProto, h1.HeaderXForwardedPort,
			h1.HeaderSluiceRequestID:
			continue
		case h1.HeaderXForwardedFor:
			nXFF++
			continue
		case h1.HeaderForwarded:
			nFwd++
			continue
		case h1.HeaderOther:
			if req.ConnectionListed(h.Name) {
				continue
			}
		case h1.HeaderCookie:
			if s.sticky { // the sticky cookie is the proxy's, not the backend's
				mark := len(out)
				out = append(append(out, h.Name...), ": "...)
				var kept bool
				if out, kept = cookie.AppendWithout(out, h.Value, s.set.CookieName()); kept {
					out = append(out, "\r\n"...)
				} else {
					out = out[:mark]
				}
				continue
			}
		}
		out = appendField(out, h.Name, h.Value)
	}
	out = append(out, "X-Forwarded-For: "...)
	if nXFF > 0 {
		out = appendValues(out, req.Headers, h1.HeaderXForwardedFor)
	}
	out = appendClientIP(out, s.client)
	out = append(out, "\r\nForwarded: "...)
	if nFwd > 0 {
		out = appendValues(out, req.Headers, h1.HeaderForwarded)
	}
	out = append(out, "for="...)
	out = appendForwardedNode(out, s.client)
	out = append(out, ";proto="...)
	out = append(out, s.set.Proto...)
	out = append(out, ";by="...)
	out = append(out, s.ln.byIP...)
	out = append(out, "\r\nX-Forwarded-Proto: "...)
	out = append(out, s.set.Proto...)
	out = append(out, "\r\nX-Forwarded-Port: "...)
	out = append(out, s.ln.port...)
	out = append(out, "\r\nSluice-Request-Id: "...)
	out = append(out, s.id[:]...)
	out = append(out, "\r\n"...)
	if upgrade != nil {
		out = append(out, "Connection: upgrade\r\nUpgrade: "...)
		out = append(out, upgrade...)
		out = append(out, "\r\n"...)
	}
	return append(out, "\r\n"...)
}

// appendValues writes the values of every field of kind k, each followed by
// ", ", so that the proxy's own value comes last.
func appendValues(out []byte, hs []h1.Header, k h1.HeaderKind) []byte {
	for i := range hs {
		if hs[i].Kind == k && len(hs[i].Value) > 0 {
			out = append(out, hs[i].Value...)
			out = append(out, ", "...)
		}
	}
	return out
}

func appendField(out, name, value []byte) []byte {
	out = append(out, name...)
	out = append(out, ": "...)
	out = append(out, value...)
	return append(out, "\r\n"...)
}

// appendResponseHead writes the response head sent to the client: always
// HTTP/1.1, the backend's fields less the hop-by-hop ones, the request id,
// and the connection's fate.
func (s *Session) appendResponseHead(out []byte, keepAlive bool, upgrade []byte) []byte {
	resp := s.resp
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(resp.Status), 10)
	out = append(out, ' ')
	out = append(out, resp.Reason...)
	out = append(out, "\r\n"...)
	for i := range resp.Headers {
		h := &resp.Headers[i]
		switch h.Kind {
		case h1.HeaderConnection, h1.HeaderKeepAlive, h1.HeaderProxyConnection, h1.HeaderTE,
			h1.HeaderUpgrade, h1.HeaderSluiceRequestID:
			continue
		case h1.HeaderOther:
			if resp.ConnectionListed(h.Name) {
				continue
			}
		}
		out = appendField(out, h.Name, h.Value)
	}
	if s.cookieFor != "" {
		out = appendSetCookie(out, s.set.CookieName(), s.cookieFor)
	}
	if h := s.hstsLine(); h != nil && !hasField(resp.Headers, "strict-transport-security") {
		out = append(out, h...)
	}
	out = append(out, "Sluice-Request-Id: "...)
	out = append(out, s.id[:]...)
	switch {
	case upgrade != nil:
		out = append(out, "\r\nConnection: upgrade\r\nUpgrade: "...)
		out = append(out, upgrade...)
	case !keepAlive:
		out = append(out, "\r\nConnection: close"...)
	case s.req.Minor == 0:
		out = append(out, "\r\nConnection: keep-alive"...)
	}
	return append(out, "\r\n\r\n"...)
}

// hasField reports whether hs has a field named lower (lower case).
func hasField(hs []h1.Header, lower string) bool {
	for i := range hs {
		if len(hs[i].Name) == len(lower) && bytes.EqualFold(hs[i].Name, []byte(lower)) {
			return true
		}
	}
	return false
}

// upgradeValue returns the value of the Upgrade field of hs, or nil.
func upgradeValue(hs []h1.Header) []byte {
	for i := range hs {
		if hs[i].Kind == h1.HeaderUpgrade {
			return hs[i].Value
		}
	}
	return nil
}

// isH2C reports whether an Upgrade value asks for cleartext HTTP/2, which
// the proxy never forwards.
func isH2C(v []byte) bool {
	return bytes.Contains(bytes.ToLower(v), []byte("h2c"))
}

// isReplayable reports whether a request may be sent again after a failure
// on a reused backend connection: a safe method and no body.
func isReplayable(req *h1.Request) bool {
	if req.ContentLength > 0 || req.Chunked {
		return false
	}
	switch string(req.Method) {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}
