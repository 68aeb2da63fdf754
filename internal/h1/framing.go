package h1

// Framing says how a message body is delimited (RFC 9112 §6.3).
type Framing uint8

const (
	// FramingNone: the message has no body.
	FramingNone Framing = iota
	// FramingLength: the body is exactly ContentLength bytes (> 0).
	FramingLength
	// FramingChunked: the body is chunked; validate it with a ChunkedScanner.
	FramingChunked
	// FramingUntilClose: the body extends until the backend closes the
	// connection (responses only); the connection cannot be reused.
	FramingUntilClose
)

// String returns the name of f, for logs and tests.
func (f Framing) String() string {
	switch f {
	case FramingNone:
		return "none"
	case FramingLength:
		return "length"
	case FramingChunked:
		return "chunked"
	case FramingUntilClose:
		return "until-close"
	}
	return "invalid"
}

// Framing reports how the body of r is delimited, per RFC 9112 §6.3, given
// whether the request it answers used the HEAD method: responses to HEAD and
// 1xx, 204 and 304 responses have no body; then chunked; then Content-Length
// (FramingNone for 0); otherwise the body runs until the connection closes.
// (A 2xx answer to CONNECT does not arise: Sluice refuses CONNECT.)
func (r *Response) Framing(requestMethodIsHEAD bool) Framing {
	switch {
	case requestMethodIsHEAD, r.Status < 200, r.Status == 204, r.Status == 304:
		return FramingNone
	case r.Chunked:
		return FramingChunked
	case r.ContentLength > 0:
		return FramingLength
	case r.ContentLength == 0:
		return FramingNone
	}
	return FramingUntilClose
}

// Framing reports how the request body is delimited: FramingChunked,
// FramingLength for Content-Length > 0, otherwise FramingNone. A request never
// reads until close.
func (r *Request) Framing() Framing {
	switch {
	case r.Chunked:
		return FramingChunked
	case r.ContentLength > 0:
		return FramingLength
	}
	return FramingNone
}
