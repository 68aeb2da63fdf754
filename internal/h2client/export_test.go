package h2client

// Buffered is the length of the stream's body buffer, read or not: what
// it holds in memory (for TestBufferBounded).
func (s *Stream) Buffered() int {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return len(s.buf)
}
