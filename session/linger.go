package session

import "time"

// Closing after an answer whose request body was not read (an early
// answer: 413, 400, a backend's answer before the whole upload) with the
// client still sending would make the kernel reset the connection, since
// unread bytes are left behind at close; the reset can reach the client
// before it reads the answer and destroy it there, and a client still
// writing its body sees a broken pipe instead of the response. So the
// session closes in stages, as RFC 9112 §9.6 asks and nginx's
// lingering_close does: it ends its writing side (FIN), then reads and
// drops what the client sends until the client closes, stays silent for
// lingerIdle, or lingerTime or lingerBytes are reached; then it closes.
const (
	// lingerIdle is how long the drain waits for the client's next bytes
	// (nginx's lingering_timeout is 5 s).
	lingerIdle = 2 * time.Second
	// lingerTime bounds the whole drain: a client that keeps sending holds
	// the session no longer than this (nginx's lingering_time is 30 s).
	lingerTime = 10 * time.Second
	// lingerBytes bounds what is read and dropped.
	lingerBytes = 1 << 20
)

// linger is the staged close of a connection whose last request body was
// not read whole (see above). The caller closes the connection after it.
func (s *Session) linger() {
	s.sock.Shutdown()
	if s.buf == nil {
		return
	}
	end := time.Now().Add(lingerTime)
	for dropped := 0; dropped < lingerBytes; {
		now := time.Now()
		if !now.Before(end) {
			return
		}
		dl := now.Add(lingerIdle)
		if dl.After(end) {
			dl = end
		}
		if err := s.cl.Conn.SetReadDeadline(dl); err != nil {
			return
		}
		n, err := s.sock.Read(s.buf)
		dropped += n
		if err != nil {
			return
		}
	}
}
