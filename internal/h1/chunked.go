package h1

import "strconv"

// MaxChunkSizeLine is the longest chunk-size line (size and extensions,
// excluding CRLF) a ChunkedScanner accepts, in bytes.
const MaxChunkSizeLine = 4096

// MaxChunkSize is the largest chunk size a ChunkedScanner accepts, in bytes.
const MaxChunkSize = 1 << 62

// Scanner states.
const (
	csSizeStart    uint8 = iota // expecting the first hex digit of a chunk size
	csSize                      // in the hex digits
	csExtBWS                    // in BWS after the size, before ';'
	csExt                       // in the chunk extensions
	csSizeLF                    // after the CR of the size line
	csData                      // in chunk data; s.remain bytes left
	csDataCR                    // expecting CR after data
	csDataLF                    // expecting LF after data
	csTrailerStart              // at the start of a trailer line or the final CRLF
	csTrailerName               // in a trailer field name
	csTrailerValue              // in a trailer field value
	csTrailerLF                 // after the CR of a trailer field line
	csFinalLF                   // after the CR of the final empty line
	csDone                      // the body is complete
	csFailed                    // a previous call returned an error
)

// ChunkedScanner validates a chunked body (RFC 9112 §7.1) as it streams by,
// without copying or decoding it, so the proxy can forward the bytes
// verbatim. The zero value is ready to scan a body with default Limits.
//
// Beyond the RFC grammar it rejects: a chunk size above MaxChunkSize, a size
// line longer than MaxChunkSizeLine, whitespace after the size that is not
// followed by ';', control characters (other than HTAB) in extensions, bare
// LF or bare CR anywhere, obs-fold in trailers, and a trailer section larger
// than Limits.MaxHeadBytes bytes or with more than Limits.MaxHeaderFields
// fields. Errors are *Error values with Status 400; a proxy scanning a
// backend's body should answer 502 instead.
type ChunkedScanner struct {
	// Limits bounds the trailer section; zero fields mean the defaults.
	Limits Limits
	// KeepTrailers makes Decode append the trailer section's field
	// lines (each with its CRLF, not the final empty line) to Trailers,
	// for ParseTrailers once done. Trailers is the caller's buffer (set
	// it to a reused one's [:0]); the Limits bound what is appended.
	KeepTrailers bool
	Trailers     []byte

	state   uint8
	remain  uint64 // chunk size being read, then data bytes left
	lineLen int    // bytes of the current size line
	trailer int    // bytes of the trailer section so far
	fields  int    // trailer fields so far
	err     errCode
}

// Reset readies s for a new body, keeping its Limits, KeepTrailers and
// the Trailers buffer (emptied).
func (s *ChunkedScanner) Reset() {
	*s = ChunkedScanner{Limits: s.Limits, KeepTrailers: s.KeepTrailers, Trailers: s.Trailers[:0]}
}

// Done reports whether the whole body, trailers included, has been scanned.
func (s *ChunkedScanner) Done() bool { return s.state == csDone }

// Scan consumes the prefix of p that belongs to the body. It returns n, the
// number of bytes of p that are body (n <= len(p); the rest of p, if any,
// follows the body), and done once the last chunk and the trailer section
// with its final CRLF have been consumed. State carries across calls, so the
// body may be split anywhere. On a malformed body it returns an *Error with
// Status 400 and n counts the bytes before the offending one; the error is
// sticky until Reset. After done, Scan returns 0, true, nil. It never
// allocates and does not retain p.
func (s *ChunkedScanner) Scan(p []byte) (n int, done bool, err error) {
	if s.state == csFailed {
		return 0, false, &requestErrors[s.err]
	}
	i := 0
	for i < len(p) {
		if s.state == csData {
			k := uint64(len(p) - i)
			if k > s.remain {
				k = s.remain
			}
			i += int(k)
			s.remain -= k
			if s.remain == 0 {
				s.state = csDataCR
			}
			continue
		}
		if s.state == csDone {
			return i, true, nil
		}
		if ec := s.step(p[i]); ec != ecNone {
			s.state, s.err = csFailed, ec
			return i, false, &requestErrors[ec]
		}
		i++
	}
	return i, s.state == csDone, nil
}

// step advances the state machine over one byte outside chunk data.
func (s *ChunkedScanner) step(c byte) errCode {
	switch s.state {
	case csSizeStart, csSize:
		if d := hexVal[c]; d != 0xff {
			if s.remain > (MaxChunkSize-uint64(d))>>4 {
				return ecChunkSizeOverflow
			}
			s.remain = s.remain<<4 | uint64(d)
			s.state = csSize
			return s.countLine()
		}
		if s.state == csSizeStart {
			return ecChunkSize
		}
		switch {
		case c == '\r':
			s.state = csSizeLF
			return ecNone
		case c == ';':
			s.state = csExt
		case isOWS(c):
			s.state = csExtBWS
		default:
			return ecChunkSize
		}
		return s.countLine()
	case csExtBWS:
		switch {
		case c == ';':
			s.state = csExt
		case isOWS(c):
		default:
			return ecChunkExt
		}
		return s.countLine()
	case csExt:
		if c == '\r' {
			s.state = csSizeLF
			return ecNone
		}
		if !valueTable[c] {
			return ecChunkExt
		}
		return s.countLine()
	case csSizeLF:
		if c != '\n' {
			return ecBareCR
		}
		s.lineLen = 0
		if s.remain == 0 {
			s.state = csTrailerStart
		} else {
			s.state = csData
		}
		return ecNone
	case csDataCR:
		if c != '\r' {
			return ecChunkDataCRLF
		}
		s.state = csDataLF
		return ecNone
	case csDataLF:
		if c != '\n' {
			return ecChunkDataCRLF
		}
		s.state = csSizeStart
		return ecNone
	}
	return s.stepTrailer(c)
}

func (s *ChunkedScanner) countLine() errCode {
	s.lineLen++
	if s.lineLen > MaxChunkSizeLine {
		return ecChunkLineTooLong
	}
	return ecNone
}

// stepTrailer advances over one byte of the trailer section, applying the
// field-line rules of the head parser.
func (s *ChunkedScanner) stepTrailer(c byte) errCode {
	s.trailer++
	if s.trailer > s.Limits.headBytes() {
		return ecTrailerTooLarge
	}
	switch s.state {
	case csTrailerStart:
		switch {
		case c == '\r':
			s.state = csFinalLF
		case c == '\n':
			return ecBareLF
		case isOWS(c):
			return ecObsFold
		case c == ':':
			return ecEmptyName
		case tokenTable[c]:
			s.fields++
			if s.fields > s.Limits.headerFields() {
				return ecTrailerTooManyFields
			}
			s.state = csTrailerName
		default:
			return ecNameChar
		}
	case csTrailerName:
		switch {
		case tokenTable[c]:
		case c == ':':
			s.state = csTrailerValue
		case isOWS(c):
			return ecSpaceBeforeColon
		case c == '\r' || c == '\n':
			return ecNoColon
		default:
			return ecNameChar
		}
	case csTrailerValue:
		switch {
		case valueTable[c]:
		case c == '\r':
			s.state = csTrailerLF
		case c == '\n':
			return ecBareLF
		default:
			return ecValueChar
		}
	case csTrailerLF:
		if c != '\n' {
			return ecBareCR
		}
		s.state = csTrailerStart
	case csFinalLF:
		if c != '\n' {
			return ecBareCR
		}
		s.state = csDone
	}
	return ecNone
}

// AppendChunk appends p as one chunk of a chunked body: its size in hex,
// CRLF, the data, CRLF. An empty p appends nothing (an empty chunk would
// end the body; LastChunk does that).
func AppendChunk(out, p []byte) []byte {
	if len(p) == 0 {
		return out
	}
	out = strconv.AppendInt(out, int64(len(p)), 16)
	out = append(out, "\r\n"...)
	out = append(out, p...)
	return append(out, "\r\n"...)
}

// LastChunk ends a chunked body that has no trailers.
const LastChunk = "0\r\n\r\n"
