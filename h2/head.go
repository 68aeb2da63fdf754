package h2

import "strconv"

// skipRequest are the request fields not forwarded as they are: the
// hop-by-hop ones, those the proxy sets itself, and those it merges.
var skipRequest = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Upgrade": true,
	"Transfer-Encoding": true, "Content-Length": true, "Host": true, "Http2-Settings": true,
	"X-Forwarded-Proto": true, "X-Forwarded-Port": true, "Sluice-Request-Id": true,
	"X-Forwarded-For": true, "Forwarded": true, "Cookie": true,
}

// appendHead writes the HTTP/1.1 request head sent to the backend: the
// method and target, Host from :authority, the client's fields less the
// hop-by-hop ones, the framing of the body, then the forwarding fields and
// the request id, as the HTTP/1.1 session does (docs/http.md).
func (st *stream) appendHead(out []byte) []byte {
	r := st.r
	out = append(out, r.Method...)
	out = append(out, ' ')
	out = append(out, r.RequestURI...)
	out = append(out, " HTTP/1.1\r\nHost: "...)
	out = append(out, r.Host...)
	out = append(out, "\r\n"...)
	for name, vs := range r.Header {
		if skipRequest[name] {
			continue
		}
		for _, v := range vs {
			out = appendField(out, name, v)
		}
	}
	out = st.appendCookies(out)
	switch {
	case r.ContentLength > 0:
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, r.ContentLength, 10)
		out = append(out, "\r\n"...)
	case r.ContentLength < 0:
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	}
	out = append(out, "X-Forwarded-For: "...)
	for _, v := range r.Header["X-Forwarded-For"] {
		out = append(out, v...)
		out = append(out, ", "...)
	}
	out = append(out, st.c.clientIP...)
	out = append(out, "\r\nForwarded: "...)
	for _, v := range r.Header["Forwarded"] {
		out = append(out, v...)
		out = append(out, ", "...)
	}
	out = append(out, "for="...)
	out = append(out, st.c.forwardedFor...)
	out = append(out, ";proto=https;by="...)
	out = append(out, st.srv.ln.ByNode()...)
	out = append(out, "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: "...)
	out = append(out, st.srv.ln.Port()...)
	out = append(out, "\r\nSluice-Request-Id: "...)
	out = append(out, st.id[:]...)
	return append(out, "\r\n\r\n"...)
}

func appendField(out []byte, name, value string) []byte {
	out = append(out, name...)
	out = append(out, ": "...)
	out = append(out, value...)
	return append(out, "\r\n"...)
}
