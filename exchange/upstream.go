package exchange

import (
	"strconv"

	"github.com/sluiceproxy/sluice/internal/cookie"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// appendUpstream writes the HTTP/1.1 request head sent to a backend: the
// request line in origin-form (the frontend's path rewrite applied), Host
// (the routed authority, or the frontend's host rewrite, once), the body's
// framing (one Content-Length, or chunked), the client's fields the header
// table forwards and the configured edits keep, the fields the edits add,
// its cookies joined into one field without the sticky cookie, the
// forwarding fields (X-Forwarded-For and Forwarded appended to,
// X-Forwarded-Proto and -Port set), the request id, the client's verified
// certificate (clientcert.go) and, for an upgrade,
// Connection and Upgrade.
func (x *Exchange) appendUpstream(out []byte) []byte {
	req := &x.Req
	host, target := x.upstream()
	out = append(out, req.Method...)
	out = append(out, ' ')
	out = append(out, target...)
	if req.Minor == 0 {
		out = append(out, " HTTP/1.0\r\n"...)
	} else {
		out = append(out, " HTTP/1.1\r\n"...)
	}
	if len(host) > 0 {
		out = append(out, "Host: "...)
		out = append(append(out, host...), "\r\n"...)
	}
	switch {
	case req.Unsized:
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	case req.ContentLength >= 0:
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, req.ContentLength, 10)
		out = append(out, "\r\n"...)
	}
	for i := range req.Fields {
		if f := &req.Fields[i]; x.forwardField(f) && !(x.reqEdits && x.dropRequestField(f)) {
			out = appendField(out, f.Name, f.Value)
		}
	}
	if x.reqEdits {
		out = x.appendRequestEdits(out)
	}
	out = x.appendCookies(out)
	out = append(out, "X-Forwarded-For: "...)
	out = appendValues(out, req.Fields, h1.HeaderXForwardedFor)
	out = x.appendClientIP(out)
	out = append(out, "\r\nForwarded: "...)
	out = appendValues(out, req.Fields, h1.HeaderForwarded)
	out = append(out, "for="...)
	out = x.appendForwardedNode(out)
	out = append(out, ";proto="...)
	out = append(out, x.Set.Proto...)
	out = append(out, ";by="...)
	out = append(out, x.Ln.ByNode()...)
	out = append(out, "\r\nX-Forwarded-Proto: "...)
	out = append(out, x.Set.Proto...)
	out = append(out, "\r\nX-Forwarded-Port: "...)
	out = append(out, x.Ln.Port()...)
	out = append(out, "\r\n"...)
	out = append(out, x.requestIDName()...)
	out = append(out, ": "...)
	out = append(out, x.ID[:]...)
	out = append(out, "\r\n"...)
	if x.tr.send {
		out = append(out, "traceparent: "...)
		out = append(x.appendTraceparent(out), "\r\n"...)
	}
	out = x.appendClientCert(out)
	if req.Upgrade != nil {
		out = append(out, "Connection: upgrade\r\nUpgrade: "...)
		out = append(append(out, req.Upgrade...), "\r\n"...)
		if req.BridgeWebSocket {
			out = x.appendWSKey(out)
		}
	}
	return append(out, "\r\n"...)
}

// appendCookies writes the request's Cookie fields as one (RFC 9113
// §8.2.3 asks that HTTP/2's cookie crumbs be joined for HTTP/1.1), leaving
// out the sticky cookie, which is the proxy's; nothing when no cookie is
// left.
func (x *Exchange) appendCookies(out []byte) []byte {
	mark := len(out)
	out = append(out, "Cookie: "...)
	start := len(out)
	name := x.Set.CookieName()
	for i := range x.Req.Fields {
		f := &x.Req.Fields[i]
		if f.Kind != h1.HeaderCookie || len(f.Value) == 0 {
			continue
		}
		sep := len(out)
		if sep > start {
			out = append(out, "; "...)
		}
		if !x.dec.Sticky {
			out = append(out, f.Value...)
			continue
		}
		var kept bool
		if out, kept = cookie.AppendWithout(out, f.Value, name); !kept {
			out = out[:sep]
		}
	}
	if len(out) == start {
		return out[:mark]
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

// appendClientIP appends the client's IP for X-Forwarded-For.
func (x *Exchange) appendClientIP(out []byte) []byte {
	if !x.Client.Addr.IsValid() {
		return append(out, "unknown"...)
	}
	return x.appendIP(out)
}

// appendForwardedNode appends the client as a Forwarded node (RFC 7239 §6):
// IPv6 addresses are bracketed and quoted.
func (x *Exchange) appendForwardedNode(out []byte) []byte {
	switch c := x.Client.Addr; {
	case !c.IsValid():
		return append(out, "unknown"...)
	case c.Addr().Is6():
		out = append(out, `"[`...)
		out = x.appendIP(out)
		return append(out, `]"`...)
	}
	return x.appendIP(out)
}

// appendIP appends the text of the client's IP, written once for as long
// as x serves the same client (the exchanges of a connection's requests
// reuse one Exchange): every request names it in X-Forwarded-For and
// Forwarded.
func (x *Exchange) appendIP(out []byte) []byte {
	if ip := x.Client.Addr.Addr(); x.ipLen == 0 || x.ipOf != ip {
		b := ip.AppendTo(x.ip[:0])
		if len(b) > len(x.ip) { // a long zone: not kept
			return append(out, b...)
		}
		x.ipOf, x.ipLen = ip, uint8(len(b))
	}
	return append(out, x.ip[:x.ipLen]...)
}
