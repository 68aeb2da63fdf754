package h2

import (
	"bytes"
	"errors"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// The stream's head as the exchange's Request: the pseudo-header fields
// checked with HTTP/1.1's grammar, since they become a request line.

// request fills the exchange's Request from the stream's head, applying
// the request line's grammar to the pseudo-header fields, which become the
// request line sent to an HTTP/1.1 backend: :method a token, :path in
// origin-form (or "*" for OPTIONS), :authority (or host) a valid host,
// and a host field, if any, naming the same authority (RFC 9113 §8.3.1).
// An extended CONNECT with :protocol websocket (RFC 8441) becomes what an
// HTTP/1.1 client's WebSocket handshake is, a GET of :path with Upgrade:
// websocket, which the stage bridges (exchange/websocket.go) and the
// stream then tunnels (tunnel.go); one of another protocol stays a
// CONNECT, which the pipeline answers 501.
func (st *stream) request() error {
	q := &st.x.Req
	if st.tooBig {
		return errTooBig
	}
	q.Method, q.Minor = st.span(st.method), 1
	ws := string(q.Method) == "CONNECT" && h1.EqualFold(st.span(st.protocol), "websocket")
	if ws {
		if s := st.span(st.scheme); !h1.EqualFold(s, "https") && !h1.EqualFold(s, "http") {
			return errBadScheme
		}
		q.Method = methodGET
	}
	if string(q.Method) != "CONNECT" { // CONNECT has no :path; the pipeline answers it
		if !h1.ValidMethod(q.Method) {
			return errBadMethod
		}
		if !validScheme(st.span(st.scheme)) {
			return errBadScheme
		}
		q.Target = st.span(st.path)
		path, err := h1.OriginTarget(q.Method, q.Target)
		if err != nil {
			return err
		}
		q.Path = path
	}
	var host []byte
	hosts := 0
	for i := range st.raw {
		if f := &st.raw[i]; f.kind == h1.HeaderHost {
			if hosts++; hosts == 1 {
				host = st.span(f.value)
			}
		}
	}
	q.Host = host
	if st.hasAuthority {
		q.Host = st.span(st.authority)
	}
	if !h1.ValidHost(q.Host) { // required, as Host is in HTTP/1.1
		return errBadAuthority
	}
	if hosts > 1 || hosts == 1 && !bytes.EqualFold(host, q.Host) {
		return errHostMismatch
	}
	fs := st.fields[:0]
	for i := range st.raw {
		f := &st.raw[i]
		if f.kind == h1.HeaderHost {
			continue // :authority's, checked above
		}
		h := h1.Header{Name: st.span(f.name), Value: st.span(f.value), Kind: f.kind}
		// Field lines get HTTP/1.1's grammar too (RFC 9113 §8.2.1
		// makes surrounding whitespace malformed as well).
		if !h1.ValidFieldValue(h.Value) {
			return errBadField
		}
		if f.kind == h1.HeaderExpect && h1.EqualFold(h.Value, "100-continue") {
			st.expect = true
		}
		fs = append(fs, h)
	}
	st.fields, q.Fields = fs, fs
	q.ContentLength = -1
	if st.ncl > 0 {
		// One valid length, and none but 0 on a stream that ended with
		// its HEADERS.
		if st.ncl != 1 || st.cl < 0 || st.endOnHeaders && st.cl != 0 {
			return errBadLength
		}
		q.ContentLength = st.cl
	}
	q.Unsized = st.ncl == 0 && !st.endOnHeaders
	if ws {
		if st.ncl > 0 {
			return errBadLength // a tunnel's DATA has no length
		}
		q.Upgrade, q.BridgeWebSocket, q.Unsized = tokWebSocket, true, false
		st.tunnel = true
	}
	return st.readSmallBody()
}

var (
	tokWebSocket = []byte("websocket")
	methodGET    = []byte("GET")
)

var (
	errTooBig       = errors.New("h2: header list over the limit")
	errBadMethod    = errors.New("h2: invalid :method")
	errBadScheme    = errors.New("h2: invalid :scheme")
	errBadAuthority = errors.New("h2: invalid :authority")
	errHostMismatch = errors.New("h2: host field disagrees with :authority")
	errBadField     = errors.New("h2: invalid field value")
	errBadLength    = errors.New("h2: content-length not one valid length, or not the body's")
	errBodyTimeout  = errors.New("h2: body not received within request_timeout")
	errStopped      = errors.New("h2: request body no longer read")
)

func validScheme(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i, ch := range b {
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z':
		case i > 0 && ('0' <= ch && ch <= '9' || ch == '+' || ch == '-' || ch == '.'):
		default:
			return false
		}
	}
	return true
}
