package h2client

import (
	"github.com/sluiceproxy/sluice/internal/hpack"
)

// A request's header block (RFC 7541). Every field goes as a literal not
// added to the backend's dynamic table (never indexed for credentials:
// hpack.Sensitive), its name by the static table's index where it has
// one, as HAProxy's encoder does: the fields of requests to a backend vary
// (the request id, the client's address, cookies), and a table would
// cost a lookup per field and an eviction per new value, where a literal
// costs a few bytes of a frame on a fast link. Nothing allocates once the
// buffers have grown.

// appendBlock appends r's header block to b: the pseudo-fields, then the
// fields (names lowered, through scratch, which it returns), leaving out
// those HTTP/2 does not carry (forbidden), then content-length when the
// body's length is known.
func appendBlock(b, scratch []byte, r *Request) ([]byte, []byte) {
	switch string(r.Method) {
	case "GET":
		b = append(b, 0x80|2)
	case "POST":
		b = append(b, 0x80|3)
	default:
		b = hpack.AppendLiteral(b, 2, nil, r.Method, false)
	}
	switch string(r.Scheme) {
	case "http":
		b = append(b, 0x80|6)
	case "https":
		b = append(b, 0x80|7)
	default:
		b = hpack.AppendLiteral(b, 6, nil, r.Scheme, false)
	}
	if len(r.Authority) > 0 { // none to convey (an HTTP/1.0 request without Host): left out, RFC 9113 §8.3.1
		b = hpack.AppendLiteral(b, 1, nil, r.Authority, false)
	}
	if string(r.Path) == "/" {
		b = append(b, 0x80|4)
	} else {
		b = hpack.AppendLiteral(b, 4, nil, r.Path, false)
	}
	for i := range r.Fields {
		f := &r.Fields[i]
		var name []byte
		name, scratch = hpack.LowerName(scratch, f.Name)
		if len(name) == 0 || forbidden(name, f.Value) {
			continue
		}
		b = hpack.AppendLiteral(b, hpack.StaticIndex(name), name, f.Value, hpack.Sensitive(name))
	}
	if r.Body != nil && r.ContentLength >= 0 {
		b = hpack.AppendContentLength(b, r.ContentLength)
	}
	return b, scratch
}

// connectionSpecific names the fields of HTTP/1.1's connection that
// HTTP/2 does not carry, either way (RFC 9113 §8.2.2).
func connectionSpecific[T string | []byte](name T) bool {
	switch string(name) {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// forbidden reports a request field left out: a connection-specific one,
// TE other than "trailers", or one the head already says (Host is
// :authority; content-length is the body's own, added after the fields).
func forbidden(name, value []byte) bool {
	switch string(name) {
	case "host", "content-length":
		return true
	case "te":
		return string(value) != "trailers"
	}
	return connectionSpecific(name)
}
