package exchange

import "github.com/sluiceproxy/sluice/internal/h1"

// Head is a response head as the stage hands it to a front to write in its
// protocol: a backend's response with its hop-by-hop and framing fields
// removed and the proxy's own added, or one of the proxy's answers. Its
// slices are valid until the exchange's next call of the front.
type Head struct {
	Status int
	// Reason is the reason phrase (HTTP/1.1 fronts write it).
	Reason []byte
	// Fields are the end-to-end fields and the proxy's own
	// (Sluice-Request-Id, a sticky Set-Cookie, HSTS), in order.
	Fields []h1.Header
	// Framing says how the body that follows reaches the front.
	Framing Framing
	// ContentLength, when >= 0, is written as Content-Length: the length
	// of a Length body, or the length a HEAD or 304 response announces.
	ContentLength int64
	// Upgrade is, on a 101, the protocol switched to.
	Upgrade []byte
	// BodyPending is set when the request body has not been read whole:
	// an HTTP/1.1 front closes the connection after this response (RFC
	// 9110 §10.1.1 lets the client stop sending it).
	BodyPending bool
}

// Framing says how a response body reaches the front.
type Framing uint8

const (
	// NoBody: nothing follows (HEAD, 1xx, 204, 304, a zero length).
	NoBody Framing = iota
	// Length: ContentLength bytes follow.
	Length
	// Chunked: a chunked body as the backend framed it, checked, trailers
	// included; only fronts that TakesChunked get it.
	Chunked
	// Unsized: a body of unknown length, as payload (a decoded chunked
	// body, or an HTTP/2 backend's body without content-length): an
	// HTTP/1.1 front chunks it (or closes after it, for HTTP/1.0).
	Unsized
	// UntilClose: the body ends when the backend closes its connection;
	// an HTTP/1.1 front closes after it.
	UntilClose
)

// Names of the fields the proxy adds.
var (
	nameRequestID = []byte("Sluice-Request-Id")
	nameSetCookie = []byte("Set-Cookie")
	nameHSTS      = []byte("Strict-Transport-Security")
	nameLocation  = []byte("Location")
)

// hasField reports whether fs has a field named lower (lower case).
func hasField(fs []h1.Header, lower string) bool {
	for i := range fs {
		if len(fs[i].Name) == len(lower) && h1.EqualFold(fs[i].Name, lower) {
			return true
		}
	}
	return false
}

// appendOwn appends the proxy's own response fields: a sticky Set-Cookie,
// HSTS on TLS connections when the response has none, and the request id.
func (x *Exchange) appendOwn(fs []h1.Header) []h1.Header {
	if len(x.setCookie) > 0 {
		fs = append(fs, h1.Header{Name: nameSetCookie, Value: x.setCookie})
	}
	if hsts := x.hstsValue(); hsts != nil && !hasField(fs, "strict-transport-security") {
		fs = append(fs, h1.Header{Name: nameHSTS, Value: hsts})
	}
	return append(fs, h1.Header{Name: x.requestIDName(), Value: x.ID[:], Kind: h1.HeaderSluiceRequestID})
}

// hstsValue is the HSTS value to send on the current exchange: the
// cluster's, else the listener's; nil on plain connections.
func (x *Exchange) hstsValue() []byte {
	if x.Client.Cert == nil {
		return nil
	}
	line := x.Set.HSTS
	if cs := x.dec.Settings; cs != nil && cs.HSTS != nil {
		line = cs.HSTS
	}
	const prefix = len("Strict-Transport-Security: ")
	if len(line) < prefix+2 {
		return nil
	}
	return line[prefix : len(line)-2]
}

// backendHead fills x.head for the response in x.resp, its body reaching
// the front framed as framing.
func (x *Exchange) backendHead(framing Framing) *Head {
	resp := &x.resp
	fs := x.fields[:0]
	for i := range resp.Headers {
		if f := &resp.Headers[i]; forwardResponseField(f, resp.Headers) && !(x.respEdits && x.dropResponseField(f.Name)) {
			fs = append(fs, *f)
		}
	}
	if x.respEdits {
		fs = x.appendResponseEdits(fs)
	}
	fs = x.appendOwn(fs)
	x.fields = fs
	x.head = Head{Status: resp.Status, Reason: resp.Reason, Fields: fs, Framing: framing, ContentLength: -1}
	switch {
	case framing == Length:
		x.head.ContentLength = resp.ContentLength
	case framing == NoBody && resp.ContentLength >= 0 && resp.Status >= 200 && resp.Status != 204:
		x.head.ContentLength = resp.ContentLength // a HEAD or 304 response's announced length
	}
	return &x.head
}
