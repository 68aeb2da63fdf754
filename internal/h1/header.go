package h1

// Limits bounds a head. Zero (or negative) fields mean the defaults:
// MaxHeadBytes 32768 and MaxHeaderFields 100.
type Limits struct {
	// MaxHeadBytes is the largest head accepted, in bytes, counting leading
	// empty lines, the start line, every field line and the final CRLF.
	// It also bounds a chunked body's trailer section.
	MaxHeadBytes int
	// MaxHeaderFields is the largest number of field lines accepted in a
	// head (and in a chunked trailer section).
	MaxHeaderFields int
}

// Default limits used for zero Limits fields.
const (
	DefaultMaxHeadBytes    = 32768
	DefaultMaxHeaderFields = 100
)

func (l Limits) headBytes() int {
	if l.MaxHeadBytes <= 0 {
		return DefaultMaxHeadBytes
	}
	return l.MaxHeadBytes
}

func (l Limits) headerFields() int {
	if l.MaxHeaderFields <= 0 {
		return DefaultMaxHeaderFields
	}
	return l.MaxHeaderFields
}

// HeaderKind classifies a field name the proxy cares about, so callers never
// compare names again. Classification is ASCII case-insensitive.
type HeaderKind uint8

// Header kinds. HeaderOther is every name not listed here.
const (
	HeaderOther            HeaderKind = iota
	HeaderHost                        // Host
	HeaderContentLength               // Content-Length
	HeaderTransferEncoding            // Transfer-Encoding
	HeaderConnection                  // Connection
	HeaderKeepAlive                   // Keep-Alive
	HeaderProxyConnection             // Proxy-Connection
	HeaderTE                          // TE
	HeaderTrailer                     // Trailer
	HeaderUpgrade                     // Upgrade
	HeaderExpect                      // Expect
	HeaderXForwardedFor               // X-Forwarded-For
	HeaderXForwardedProto             // X-Forwarded-Proto
	HeaderXForwardedPort              // X-Forwarded-Port
	HeaderForwarded                   // Forwarded
	HeaderXRequestID                  // X-Request-Id
	HeaderSluiceRequestID             // Sluice-Request-Id
	HeaderCookie                      // Cookie
	HeaderHTTP2Settings               // HTTP2-Settings
	HeaderClientCertDN                // X-Client-Cert-Subject (the proxy's: a verified client certificate's DN)
	HeaderClientCertFP                // X-Client-Cert-Fingerprint (the proxy's: its SHA-256)
	HeaderTraceparent                 // traceparent (W3C Trace Context)
	HeaderTracestate                  // tracestate (W3C Trace Context)
	NumHeaderKinds                    // the number of kinds, for tables indexed by kind
)

// HopByHop reports whether fields of kind k belong to one connection and
// are never forwarded as they are (RFC 9110 §7.6.1, RFC 9113 §8.2.2):
// Connection, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, Upgrade
// and HTTP2-Settings. Fields named in a Connection field are hop-by-hop too
// (see Request.ConnectionListed). This is the one list of them: every
// protocol front and the exchange stage ask it.
func (k HeaderKind) HopByHop() bool {
	switch k {
	case HeaderConnection, HeaderKeepAlive, HeaderProxyConnection, HeaderTE,
		HeaderTransferEncoding, HeaderUpgrade, HeaderHTTP2Settings:
		return true
	}
	return false
}

// Header is one field line. Name and Value alias the buffer that was parsed
// and are valid only while it is unchanged. Value has leading and trailing
// OWS (SP, HTAB) removed and may be empty. Kind is the classification of Name.
type Header struct {
	Name, Value []byte
	Kind        HeaderKind
}

// ClassifyHeader returns the HeaderKind of a field name, ignoring ASCII case.
// It allocates nothing.
func ClassifyHeader(name []byte) HeaderKind {
	switch len(name) {
	case 2:
		if EqualFold(name, "te") {
			return HeaderTE
		}
	case 4:
		if EqualFold(name, "host") {
			return HeaderHost
		}
	case 6:
		switch lower(name[0]) {
		case 'c':
			if EqualFold(name, "cookie") {
				return HeaderCookie
			}
		case 'e':
			if EqualFold(name, "expect") {
				return HeaderExpect
			}
		}
	case 7:
		switch lower(name[0]) {
		case 't':
			if EqualFold(name, "trailer") {
				return HeaderTrailer
			}
		case 'u':
			if EqualFold(name, "upgrade") {
				return HeaderUpgrade
			}
		}
	case 9:
		if EqualFold(name, "forwarded") {
			return HeaderForwarded
		}
	case 10:
		switch lower(name[0]) {
		case 'c':
			if EqualFold(name, "connection") {
				return HeaderConnection
			}
		case 'k':
			if EqualFold(name, "keep-alive") {
				return HeaderKeepAlive
			}
		case 't':
			if EqualFold(name, "tracestate") {
				return HeaderTracestate
			}
		}
	case 11:
		if EqualFold(name, "traceparent") {
			return HeaderTraceparent
		}
	case 12:
		if EqualFold(name, "x-request-id") {
			return HeaderXRequestID
		}
	case 14:
		switch lower(name[0]) {
		case 'c':
			if EqualFold(name, "content-length") {
				return HeaderContentLength
			}
		case 'h':
			if EqualFold(name, "http2-settings") {
				return HeaderHTTP2Settings
			}
		}
	case 15:
		if EqualFold(name, "x-forwarded-for") {
			return HeaderXForwardedFor
		}
	case 16:
		switch lower(name[0]) {
		case 'p':
			if EqualFold(name, "proxy-connection") {
				return HeaderProxyConnection
			}
		case 'x':
			if EqualFold(name, "x-forwarded-port") {
				return HeaderXForwardedPort
			}
		}
	case 17:
		switch lower(name[0]) {
		case 't':
			if EqualFold(name, "transfer-encoding") {
				return HeaderTransferEncoding
			}
		case 'x':
			if EqualFold(name, "x-forwarded-proto") {
				return HeaderXForwardedProto
			}
		case 's':
			if EqualFold(name, "sluice-request-id") {
				return HeaderSluiceRequestID
			}
		}
	case 21:
		if EqualFold(name, "x-client-cert-subject") {
			return HeaderClientCertDN
		}
	case 25:
		if EqualFold(name, "x-client-cert-fingerprint") {
			return HeaderClientCertFP
		}
	}
	return HeaderOther
}

// ConnectionListed reports whether name appears as a token in any of the
// Connection fields among hs, which makes fields of that name hop-by-hop.
// It allocates nothing.
func ConnectionListed(hs []Header, name []byte) bool {
	for i := range hs {
		if hs[i].Kind == HeaderConnection && ListContains(hs[i].Value, name) {
			return true
		}
	}
	return false
}

// ListContains reports whether the comma-separated list value (a
// Connection field's, say) has name among its elements, ignoring ASCII
// case. It allocates nothing.
func ListContains(value, name []byte) bool {
	it := listIter{b: value}
	for tok, ok := it.next(); ok; tok, ok = it.next() {
		if len(tok) > 0 && equalFoldBytes(tok, name) {
			return true
		}
	}
	return false
}
