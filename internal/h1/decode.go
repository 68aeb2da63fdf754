package h1

// Decode is Scan for a proxy that must strip the chunked framing (to
// forward the body over HTTP/2): it consumes the prefix of p that belongs
// to the body, as Scan does, and moves the chunk data found in it to the
// front of p, in place. It returns n, the bytes of p consumed, and m, the
// data bytes now at p[:m] (m <= n). Trailers are consumed, and kept in
// s.Trailers when s.KeepTrailers is set (see ParseTrailers).
// Errors and done are as for Scan; after an error p[:m] holds the data
// before the offending byte. It never allocates.
func (s *ChunkedScanner) Decode(p []byte) (n, m int, done bool, err error) {
	if s.state == csFailed {
		return 0, 0, false, &requestErrors[s.err]
	}
	i := 0
	for i < len(p) {
		if s.state == csData {
			k := uint64(len(p) - i)
			if k > s.remain {
				k = s.remain
			}
			m += copy(p[m:], p[i:i+int(k)])
			i += int(k)
			s.remain -= k
			if s.remain == 0 {
				s.state = csDataCR
			}
			continue
		}
		if s.state == csDone {
			return i, m, true, nil
		}
		if s.KeepTrailers && s.state >= csTrailerStart && s.state <= csTrailerLF && (s.state != csTrailerStart || p[i] != '\r') {
			s.Trailers = append(s.Trailers, p[i])
		}
		if ec := s.step(p[i]); ec != ecNone {
			s.state, s.err = csFailed, ec
			return i, m, false, &requestErrors[ec]
		}
		i++
	}
	return i, m, s.state == csDone, nil
}

// ParseTrailers appends to dst the fields of a trailer section kept by a
// ChunkedScanner that decoded a whole body (KeepTrailers): names and
// values alias b, values without their surrounding whitespace, kinds
// classified. b must be such a section: the scanner checked its grammar.
func ParseTrailers(b []byte, dst []Header) []Header {
	for len(b) > 0 {
		end := 0
		for end < len(b) && b[end] != '\r' {
			end++
		}
		line := b[:end]
		b = b[min(end+2, len(b)):]
		colon := 0
		for colon < len(line) && line[colon] != ':' {
			colon++
		}
		if colon == 0 || colon == len(line) {
			continue // not a field line (the scanner lets none through)
		}
		v := line[colon+1:]
		for len(v) > 0 && isOWS(v[0]) {
			v = v[1:]
		}
		for len(v) > 0 && isOWS(v[len(v)-1]) {
			v = v[:len(v)-1]
		}
		dst = append(dst, Header{Name: line[:colon], Value: v, Kind: ClassifyHeader(line[:colon])})
	}
	return dst
}
