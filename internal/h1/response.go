package h1

// Response is a parsed response head (from a backend). All byte slices alias
// the buffer given to ParseResponse and are valid only while that buffer is
// unchanged. After an error the fields are unspecified.
type Response struct {
	// Minor is the HTTP/1.x minor version: 0 or 1.
	Minor int
	// Status is the three-digit status code, 100 to 599.
	Status int
	// Reason is the reason phrase (possibly empty), without the leading SP.
	Reason []byte
	// Headers are the field lines in order.
	Headers []Header
	// ContentLength is the body length in bytes from Content-Length, or -1
	// when the field is absent. Whether a body follows at all depends on the
	// status and the request method: use Framing.
	ContentLength int64
	// Chunked reports a Transfer-Encoding whose final coding is chunked.
	// Chunked and ContentLength >= 0 are never both set.
	Chunked bool
	// KeepAlive reports whether the headers allow the connection to persist:
	// HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
	// "Connection: keep-alive". A response framed FramingUntilClose ends the
	// connection regardless.
	KeepAlive bool
	// Upgrade reports, on an HTTP/1.1 response, that Connection lists the
	// "upgrade" token and an Upgrade field is present (meaningful with 101).
	Upgrade bool
	// HeadLen is the length of the head in bytes, including the final CRLFCRLF.
	HeadLen int
}

// Reset clears r for reuse, keeping the Headers backing array so that
// steady-state parsing allocates nothing. ParseResponse calls it itself.
func (r *Response) Reset() {
	hs := r.Headers[:0]
	*r = Response{Headers: hs, ContentLength: -1}
}

// ConnectionListed reports whether name appears (ignoring ASCII case) as a
// token of a Connection field, which makes that field hop-by-hop. It allocates
// nothing.
func (r *Response) ConnectionListed(name []byte) bool {
	return ConnectionListed(r.Headers, name)
}

// ParseResponse parses one response head at the start of buf into r, which it
// resets first. On success it returns the head length (also r.HeadLen).
//
// It returns ErrIncomplete when buf holds no complete head yet and is within
// lim; the caller reads more and calls again with the grown buffer. Every
// failure, including a head over lim.MaxHeadBytes or with more than
// lim.MaxHeaderFields fields, is an *Error with Status 502. The field rules
// are those of ParseRequest (no Host rules); in addition a Transfer-Encoding
// is only accepted on an HTTP/1.1 response and must end in chunked. Leading
// empty lines are not skipped. The slices stored in r alias buf.
func ParseResponse(buf []byte, r *Response, lim Limits) (int, error) {
	r.Reset()
	if r.Headers == nil {
		r.Headers = make([]Header, 0, headerCap)
	}
	end, over := len(buf), false
	if max := lim.headBytes(); end > max {
		end, over = max, true
	}
	i, ec := parseStatusLine(buf, end, r)
	if ec == ecNone {
		var st fieldState
		i, ec = parseFields(buf, i, end, &r.Headers, lim.headerFields(), &st)
		if ec == ecNone {
			ec = st.framing(r.Minor)
		}
		if ec == ecNone {
			if st.clSeen {
				r.ContentLength = st.contentLength
			}
			r.Chunked = st.teChunked
			r.KeepAlive = st.keepAlive(r.Minor)
			r.Upgrade = r.Minor == 1 && st.connUpgrade && st.upgradeSeen
			r.HeadLen = i
			return i, nil
		}
	}
	if ec == ecMore && over {
		ec = ecHeadTooLarge
	}
	return 0, respErr(ec)
}

// parseStatusLine parses "HTTP/1.x SP 3DIGIT [SP reason] CRLF". The SP before
// an empty reason may be omitted.
func parseStatusLine(buf []byte, end int, r *Response) (int, errCode) {
	minor, i, ec := parseVersion(buf, 0, end)
	if ec != ecNone {
		return i, ec
	}
	if i+4 > end {
		for k := i; k < end; k++ { // report early if the prefix is already wrong
			if (k == i && buf[k] != ' ') || (k > i && (buf[k] < '0' || buf[k] > '9')) {
				return k, ecStatusLine
			}
		}
		return i, ecMore
	}
	if buf[i] != ' ' {
		return i, ecStatusLine
	}
	st := 0
	for k := i + 1; k < i+4; k++ {
		c := buf[k]
		if c < '0' || c > '9' {
			return k, ecStatusCode
		}
		st = st*10 + int(c-'0')
	}
	if st < 100 || st > 599 {
		return i, ecStatusCode
	}
	i += 4
	if i >= end {
		return i, ecMore
	}
	rs := i
	switch buf[i] {
	case ' ':
		i++
		rs = i
		for i < end && valueTable[buf[i]] {
			i++
		}
		if i >= end {
			return i, ecMore
		}
	case '\r', '\n':
	default:
		return i, ecStatusCode
	}
	switch {
	case buf[i] == '\n':
		return i, ecBareLF
	case buf[i] != '\r':
		return i, ecReason
	case i+1 >= end:
		return i, ecMore
	case buf[i+1] != '\n':
		return i, ecBareCR
	}
	r.Minor, r.Status, r.Reason = minor, st, buf[rs:i:i]
	return i + 2, ecNone
}
