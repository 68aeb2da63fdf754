package h1

// The checks below apply the grammar ParseRequest applies to a request
// line and its Host field to parts of a request that arrived some other way
// (an HTTP/2 request's pseudo-header fields), so that every protocol front
// refuses the same things: one grammar, the same tables.

// ValidMethod reports whether m is a method: a non-empty token (RFC 9110
// §9.1), as in a request line.
func ValidMethod(m []byte) bool { return isToken(m) }

// ValidHost reports whether b is a valid Host value or authority: a
// non-empty uri-host with an optional port, no userinfo (RFC 9110 §7.2), as
// ParseRequest checks the Host field.
func ValidHost(b []byte) bool { return validHost(b) }

// OriginTarget checks a request target that must be in origin-form
// ("/path?query"), or the asterisk-form "*" with method OPTIONS, with the
// request line's byte rules (visible ASCII only), and returns its path
// (the target without the query). Absolute-form and authority-form are
// refused: only a request line may carry them. It returns the *Error a
// request line with that target would get.
func OriginTarget(method, target []byte) (path []byte, err error) {
	if len(target) == 0 {
		return nil, &requestErrors[ecTarget]
	}
	for _, c := range target {
		if !targetTable[c] {
			return nil, &requestErrors[ecTarget]
		}
	}
	switch {
	case target[0] == '/':
		return cutQuery(target), nil
	case len(target) == 1 && target[0] == '*':
		if string(method) != "OPTIONS" {
			return nil, &requestErrors[ecAsterisk]
		}
		return target, nil
	}
	return nil, &requestErrors[ecTarget]
}

// ValidFieldName reports whether b is a field name: a non-empty token.
func ValidFieldName(b []byte) bool { return isToken(b) }

// ValidFieldValue reports whether b may be a field value as ParseRequest
// keeps it: HTAB, SP, visible ASCII and obs-text only, with no leading or
// trailing whitespace (so no CR, LF or NUL, which would end or split the
// field line when written as HTTP/1.1).
func ValidFieldValue(b []byte) bool {
	if len(b) > 0 && (isOWS(b[0]) || isOWS(b[len(b)-1])) {
		return false
	}
	for _, c := range b {
		if !valueTable[c] {
			return false
		}
	}
	return true
}

// ContentLength parses a Content-Length value that must be a single
// length: 1*DIGIT, no sign, no spaces, no list, within int64 (RFC 9110
// §8.6), as HTTP/2 carries it.
func ContentLength(v []byte) (int64, bool) { return parseDecimal(v) }
