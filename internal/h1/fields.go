package h1

import (
	"bytes"
	"math"
)

// fieldState accumulates, in the single pass over the field lines, what the
// framing and connection rules need. It lives on the parser's stack.
type fieldState struct {
	hostCount     int
	host          []byte
	clSeen        bool
	clText        []byte
	contentLength int64
	teSeen        bool
	teChunked     bool // chunked appeared
	teLastChunked bool // the final coding so far is chunked
	teOther       bool // a coding other than chunked appeared
	connClose     bool
	connKeepAlive bool
	connUpgrade   bool
	upgradeSeen   bool
	expect100     bool
}

// parseFields parses field lines starting at buf[i] up to and including the
// empty line that ends the head, appending to *hs. end is the number of bytes
// of buf the parser may look at (len(buf) capped at the head limit). It
// returns the offset just past the final CRLF.
func parseFields(buf []byte, i, end int, hs *[]Header, maxFields int, st *fieldState) (int, errCode) {
	for {
		if i >= end {
			return i, ecMore
		}
		switch buf[i] {
		case '\r':
			if i+1 >= end {
				return i, ecMore
			}
			if buf[i+1] != '\n' {
				return i, ecBareCR
			}
			return i + 2, ecNone
		case '\n':
			return i, ecBareLF
		case ' ', '\t':
			return i, ecObsFold
		}
		ns := i
		for _, c := range buf[i:end] {
			if !tokenTable[c] {
				break
			}
			i++
		}
		if i >= end {
			return i, ecMore
		}
		if c := buf[i]; c != ':' {
			switch {
			case isOWS(c):
				return i, ecSpaceBeforeColon
			case c == '\r' || c == '\n':
				return i, ecNoColon
			}
			return i, ecNameChar
		}
		if i == ns {
			return i, ecEmptyName
		}
		name := buf[ns:i:i]
		i++
		for i < end && isOWS(buf[i]) {
			i++
		}
		vs := i
		i = skipValueBytes(buf, i, end)
		if i >= end {
			return i, ecMore
		}
		if buf[i] != '\r' {
			if buf[i] == '\n' {
				return i, ecBareLF
			}
			return i, ecValueChar
		}
		if i+1 >= end {
			return i, ecMore
		}
		if buf[i+1] != '\n' {
			return i, ecBareCR
		}
		ve := i
		for ve > vs && isOWS(buf[ve-1]) {
			ve--
		}
		i += 2
		if len(*hs) >= maxFields {
			return i, ecTooManyFields
		}
		h := Header{Name: name, Value: buf[vs:ve:ve], Kind: ClassifyHeader(name)}
		if ec := st.add(&h); ec != ecNone {
			return i, ec
		}
		*hs = append(*hs, h)
	}
}

// add applies one field to the state.
func (st *fieldState) add(h *Header) errCode {
	switch h.Kind {
	case HeaderHost:
		st.hostCount++
		if st.hostCount > 1 {
			return ecHostMultiple
		}
		if !validHost(h.Value) {
			return ecHostInvalid
		}
		st.host = h.Value
	case HeaderContentLength:
		it := listIter{b: h.Value}
		for e, ok := it.next(); ok; e, ok = it.next() {
			n, valid := parseDecimal(e)
			if !valid {
				return ecCLInvalid
			}
			if st.clSeen && !bytes.Equal(e, st.clText) {
				return ecCLDiffer
			}
			st.clSeen, st.clText, st.contentLength = true, e, n
		}
	case HeaderTransferEncoding:
		st.teSeen = true
		it := listIter{b: h.Value}
		for e, ok := it.next(); ok; e, ok = it.next() {
			if !isToken(e) {
				return ecTEInvalid
			}
			if EqualFold(e, "chunked") {
				if st.teChunked {
					return ecTEChunkedTwice
				}
				st.teChunked, st.teLastChunked = true, true
			} else {
				st.teLastChunked, st.teOther = false, true
			}
		}
	case HeaderConnection:
		it := listIter{b: h.Value}
		for e, ok := it.next(); ok; e, ok = it.next() {
			switch {
			case EqualFold(e, "close"):
				st.connClose = true
			case EqualFold(e, "keep-alive"):
				st.connKeepAlive = true
			case EqualFold(e, "upgrade"):
				st.connUpgrade = true
			}
		}
	case HeaderUpgrade:
		st.upgradeSeen = true
	case HeaderExpect:
		if EqualFold(h.Value, "100-continue") {
			st.expect100 = true
		}
	}
	return ecNone
}

// framing checks the Content-Length / Transfer-Encoding rules once all fields
// are known; minor is the HTTP/1.x minor version.
func (st *fieldState) framing(minor int) errCode {
	if !st.teSeen {
		return ecNone
	}
	if st.clSeen {
		return ecCLAndTE
	}
	if minor == 0 {
		return ecTEHTTP10
	}
	if !st.teLastChunked {
		return ecTENotChunked
	}
	return ecNone
}

// keepAlive applies the persistence rules of RFC 9112 §9.3.
func (st *fieldState) keepAlive(minor int) bool {
	if st.connClose {
		return false
	}
	return minor == 1 || st.connKeepAlive
}

// parseDecimal parses 1*DIGIT into a non-negative int64, rejecting empty
// input, signs, spaces and overflow.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenTable[c] {
			return false
		}
	}
	return true
}
