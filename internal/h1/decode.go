package h1

// Decode is Scan for a proxy that must strip the chunked framing (to
// forward the body over HTTP/2): it consumes the prefix of p that belongs
// to the body, as Scan does, and moves the chunk data found in it to the
// front of p, in place. It returns n, the bytes of p consumed, and m, the
// data bytes now at p[:m] (m <= n). Trailers are consumed and dropped.
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
		if ec := s.step(p[i]); ec != ecNone {
			s.state, s.err = csFailed, ec
			return i, m, false, &requestErrors[ec]
		}
		i++
	}
	return i, m, s.state == csDone, nil
}
