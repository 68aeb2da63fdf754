package h1

import "encoding/binary"

// maxLeadingEmptyLines is how many CRLF lines ParseRequest skips before a
// request line (RFC 9112 §2.2 asks servers to ignore at least one).
const maxLeadingEmptyLines = 4

// headerCap is the capacity given to a Headers slice on first use.
const headerCap = 32

// Request is a parsed request head. All byte slices alias the buffer given to
// ParseRequest and are valid only while that buffer is unchanged. After an
// error the fields are unspecified.
type Request struct {
	// Method is the request method as sent (case-sensitive token).
	Method []byte
	// Target is the request-target as sent.
	Target []byte
	// Path is the path of Target without the query: for origin-form the part
	// before '?'; for absolute-form the path of the URI, or "/" when the URI
	// has none; "*" for the asterisk-form of OPTIONS. It is never decoded.
	Path []byte
	// Minor is the HTTP/1.x minor version: 0 or 1.
	Minor int
	// Host is the value of the Host field, or the authority of an
	// absolute-form target (which then wins over the field). It is empty
	// only for an HTTP/1.0 request without either. It is validated as
	// uri-host [":" port] and contains no control characters.
	Host []byte
	// Headers are the field lines in order, Host included.
	Headers []Header
	// ContentLength is the body length in bytes from Content-Length, or -1
	// when the field is absent.
	ContentLength int64
	// Chunked reports a Transfer-Encoding whose final coding is chunked.
	// Chunked and ContentLength >= 0 are never both set.
	Chunked bool
	// KeepAlive reports whether the connection persists after this exchange:
	// HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
	// "Connection: keep-alive" (and no close).
	KeepAlive bool
	// Expect100 reports "Expect: 100-continue" on an HTTP/1.1 request.
	Expect100 bool
	// Upgrade reports, on an HTTP/1.1 request, that Connection lists the
	// "upgrade" token and an Upgrade field is present.
	Upgrade bool
	// HeadLen is the length of the head in bytes, including leading empty
	// lines and the final CRLFCRLF.
	HeadLen int
	// originAt is, for an absolute-form Target, the offset of what
	// follows its authority; 0 for other forms.
	originAt int
}

// AbsoluteForm reports whether Target is in absolute-form.
func (r *Request) AbsoluteForm() bool { return r.originAt != 0 }

// AppendOrigin appends the request target in origin-form: Target itself,
// or for an absolute-form target the part after its authority, with a "/"
// before it when that part has no path ("http://h?q" gives "/?q"). The
// asterisk-form "*" is appended as it is.
func (r *Request) AppendOrigin(out []byte) []byte {
	if r.originAt == 0 {
		return append(out, r.Target...)
	}
	rest := r.Target[r.originAt:]
	if len(rest) == 0 || rest[0] != '/' {
		out = append(out, '/')
	}
	return append(out, rest...)
}

// Reset clears r for reuse, keeping the Headers backing array so that
// steady-state parsing allocates nothing. ParseRequest calls it itself.
func (r *Request) Reset() {
	hs := r.Headers[:0]
	*r = Request{Headers: hs, ContentLength: -1}
}

// ConnectionListed reports whether name appears (ignoring ASCII case) as a
// token of a Connection field, which makes that field hop-by-hop. It allocates
// nothing.
func (r *Request) ConnectionListed(name []byte) bool {
	return ConnectionListed(r.Headers, name)
}

// ParseRequest parses one request head at the start of buf into r, which it
// resets first. On success it returns the head length (also r.HeadLen).
//
// It returns ErrIncomplete when buf holds no complete head yet and is not
// over the limits: the caller reads more and calls again with the grown
// buffer. Once the head would exceed lim.MaxHeadBytes it returns an *Error
// with Status 431, or 414 when the request line alone (with any leading empty
// lines) is longer than the limit. Malformed input gives an *Error with Status
// 400, CONNECT gives 501 and a well-formed unsupported version gives 505.
// Errors may be reported before the head is complete. The slices stored in r
// alias buf. After the first call with a given r, parsing allocates nothing
// unless a head has more fields than Headers can hold.
func ParseRequest(buf []byte, r *Request, lim Limits) (int, error) {
	r.Reset()
	if r.Headers == nil {
		r.Headers = make([]Header, 0, headerCap)
	}
	end, over := len(buf), false
	if max := lim.headBytes(); end > max {
		end, over = max, true
	}
	i, ec := parseRequestLine(buf, end, r)
	if ec == ecMore && over {
		return 0, reqErr(ecURITooLong)
	}
	if ec != ecNone {
		return 0, reqErr(ec)
	}
	var st fieldState
	i, ec = parseFields(buf, i, end, &r.Headers, lim.headerFields(), &st)
	if ec == ecMore && over {
		return 0, reqErr(ecHeadTooLarge)
	}
	if ec != ecNone {
		return 0, reqErr(ec)
	}
	if ec = st.framing(r.Minor); ec != ecNone {
		return 0, reqErr(ec)
	}
	if st.teOther {
		// A proxy forwards only what it decodes: chunked alone (RFC 9112
		// §6.1: a coding the server does not understand gets 501).
		return 0, reqErr(ecTEUnsupported)
	}
	switch {
	case st.hostCount == 0 && r.Minor == 1:
		return 0, reqErr(ecHostMissing)
	case r.Host == nil:
		r.Host = st.host
	}
	r.ContentLength = -1
	if st.clSeen {
		r.ContentLength = st.contentLength
	}
	r.Chunked = st.teChunked
	r.KeepAlive = st.keepAlive(r.Minor)
	if r.Minor == 1 {
		r.Expect100 = st.expect100
		r.Upgrade = st.connUpgrade && st.upgradeSeen
	}
	r.HeadLen = i
	return i, nil
}

// parseRequestLine parses optional leading empty lines and the request line,
// filling Method, Target, Path, Minor and (for absolute-form) Host.
func parseRequestLine(buf []byte, end int, r *Request) (int, errCode) {
	i := 0
	for n := 0; ; n++ {
		if i >= end {
			return i, ecMore
		}
		if buf[i] == '\n' {
			return i, ecBareLF
		}
		if buf[i] != '\r' {
			break
		}
		if i+1 >= end {
			return i, ecMore
		}
		if buf[i+1] != '\n' {
			return i, ecBareCR
		}
		if n == maxLeadingEmptyLines {
			return i, ecLeadingLines
		}
		i += 2
	}

	ms := i
	for i < end && tokenTable[buf[i]] {
		i++
	}
	if i >= end {
		return i, ecMore
	}
	if buf[i] != ' ' {
		switch buf[i] {
		case '\r', '\n':
			return i, ecRequestLine
		}
		return i, ecMethod
	}
	if i == ms {
		return i, ecMethod
	}
	r.Method = buf[ms:i:i]
	i++

	ts := i
	for i < end && targetTable[buf[i]] {
		i++
	}
	if i >= end {
		return i, ecMore
	}
	if buf[i] != ' ' {
		switch buf[i] {
		case '\r', '\n': // HTTP/0.9 "GET /"
			return i, ecRequestLine
		}
		return i, ecTarget
	}
	if i == ts { // two spaces after the method
		return i, ecRequestLine
	}
	r.Target = buf[ts:i:i]
	i++

	minor, i, ec := parseVersion(buf, i, end)
	if ec != ecNone {
		if ec == ecVersion && i < end && buf[i] == ' ' {
			return i, ecRequestLine
		}
		return i, ec
	}
	if i+2 > end {
		return i, ecMore
	}
	switch {
	case buf[i] == '\n':
		return i, ecBareLF
	case buf[i] != '\r':
		return i, ecRequestLine
	case buf[i+1] != '\n':
		return i, ecBareCR
	}
	r.Minor = minor
	if string(r.Method) == "CONNECT" {
		return i, ecConnect
	}
	if ec := parseTarget(r); ec != ecNone {
		return i, ec
	}
	return i + 2, ecNone
}

// parseVersion parses "HTTP/" DIGIT "." DIGIT at buf[i] and returns the minor
// version and the offset after it. A well-formed version other than 1.0 and
// 1.1 gives ecVersionUnsupported.
func parseVersion(buf []byte, i, end int) (int, int, errCode) {
	if end-i >= 8 { // the versions there are, in one comparison
		switch binary.LittleEndian.Uint64(buf[i:]) {
		case http11:
			return 1, i + 8, ecNone
		case http10:
			return 0, i + 8, ecNone
		}
	}
	const prefix = "HTTP/"
	for k := 0; k < 8; k++ {
		if i+k >= end {
			return 0, i, ecMore
		}
		c := buf[i+k]
		var ok bool
		switch {
		case k < 5:
			ok = c == prefix[k]
		case k == 6:
			ok = c == '.'
		default:
			ok = '0' <= c && c <= '9'
		}
		if !ok {
			return 0, i + k, ecVersion
		}
	}
	major, minor := buf[i+5]-'0', buf[i+7]-'0'
	if major != 1 || minor > 1 {
		return 0, i, ecVersionUnsupported
	}
	return int(minor), i + 8, ecNone
}

// http11 and http10 are "HTTP/1.1" and "HTTP/1.0" as little-endian words
// (TestVersionWords).
const (
	http11 = 0x312e312f50545448
	http10 = 0x302e312f50545448
)

// parseTarget classifies r.Target (already known to be visible ASCII) into
// origin-, asterisk- or absolute-form and sets Path, and Host for
// absolute-form.
func parseTarget(r *Request) errCode {
	t := r.Target
	switch {
	case t[0] == '/':
		r.Path = cutQuery(t)
		return ecNone
	case len(t) == 1 && t[0] == '*':
		if string(r.Method) != "OPTIONS" {
			return ecAsterisk
		}
		r.Path = t
		return ecNone
	}
	// absolute-form: http or https "://" authority path-abempty [ "?" query ]
	var n int
	switch {
	case len(t) >= 7 && EqualFold(t[:7], "http://"):
		n = 7
	case len(t) >= 8 && EqualFold(t[:8], "https://"):
		n = 8
	default:
		if len(t) > 0 && (t[0]|0x20 >= 'a' && t[0]|0x20 <= 'z') {
			return ecAbsoluteForm
		}
		return ecTarget
	}
	a := n
	for a < len(t) && t[a] != '/' && t[a] != '?' {
		a++
	}
	auth := t[n:a:a]
	if !validHost(auth) {
		return ecAbsoluteForm
	}
	r.Host = auth
	r.originAt = a
	if a == len(t) || t[a] == '?' {
		r.Path = t[n-1 : n : n] // the last '/' of "://"
		return ecNone
	}
	r.Path = cutQuery(t[a:])
	return ecNone
}

func cutQuery(t []byte) []byte {
	for i, c := range t {
		if c == '?' {
			return t[:i:i]
		}
	}
	return t[:len(t):len(t)]
}
