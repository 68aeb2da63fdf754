// Package h1 parses HTTP/1.x message heads and validates chunked bodies for
// the Sluice reverse proxy, without allocating and without copying.
//
// ParseRequest and ParseResponse parse one head at the start of a caller's
// buffer. Every byte slice they store in a [Request], [Response] or [Header]
// aliases that buffer and stays valid only while the buffer is unchanged; the
// parser never copies. The parsers are stateless: when the buffer does not yet
// hold a complete head they return [ErrIncomplete], and the caller reads more
// and calls again with the longer buffer. They enforce [Limits] on every call,
// so a peer cannot grow the buffer past MaxHeadBytes by never finishing a head.
//
// The parser is deliberately stricter than RFC 9112's "recipient MAY accept"
// allowances, to close request-smuggling and desync gaps between Sluice and the
// backends it forwards to (Sluice SPEC §6). It rejects, among others: bare CR,
// bare LF as a line ending, control characters in field names and values
// (HTAB is allowed in values, obs-text 0x80–0xFF is allowed in values only),
// obs-fold, whitespace before a colon, Content-Length together with
// Transfer-Encoding, differing or malformed Content-Length values, a
// Transfer-Encoding whose final coding is not chunked or that names chunked
// twice, Transfer-Encoding in HTTP/1.0 messages, and HTTP/1.1 requests without
// exactly one valid Host. Failures are reported as an [*Error] carrying the
// status a proxy should answer: 400, 414, 431, 501 (CONNECT), 505 (a
// well-formed version other than HTTP/1.0 and HTTP/1.1) for requests, and 502
// for every response failure.
//
// [ChunkedScanner] validates a chunked body as it streams through the proxy,
// without decoding it, so the proxy can forward the bytes verbatim and still
// know exactly where the body ends.
//
// # Differences from the original API sketch
//
//   - Hop-by-hop nomination is reported by the methods
//     [Request.ConnectionListed] and [Response.ConnectionListed] (no
//     ConnectionTokens field), which walk the Connection fields without
//     allocating.
//   - Well-formed but unsupported versions (HTTP/1.2, HTTP/2.0, HTTP/0.9 in the
//     version field) get 505; malformed versions ("http/1.1", "HTTP/1.10") get 400.
//   - [ChunkedScanner] has an exported Limits field that bounds the trailer
//     section (zero means the defaults); its errors carry Status 400, and a
//     caller scanning a backend's response body should answer 502 instead.
//   - [Response] has Upgrade like [Request]. [Request.Framing] and
//     [Response.Framing] return FramingNone for Content-Length: 0.
//   - HeaderSluiceRequestID classifies the field name "Sluice-Request-Id";
//     HeaderClientCertDN (X-Client-Cert-Subject) and HeaderClientCertFP
//     (X-Client-Cert-Fingerprint) the fields in which the proxy passes a
//     verified client certificate on; HeaderTraceparent and
//     HeaderTracestate the W3C Trace Context fields.
package h1
