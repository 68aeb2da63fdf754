//go:build linux

package sock

import "syscall"

// A Stream's syscall.RawConn: bare calls until the Stream joins the
// poller, the poller's waits after.

// SyscallConn gives the Stream's RawConn: bare calls until the Stream
// joins the poller, the poller's waits after.
func (s *Stream) SyscallConn() (syscall.RawConn, error) { return (*streamConn)(s), nil }

// streamConn is a Stream's syscall.RawConn.
type streamConn Stream

// Control calls f with the descriptor, which stays open meanwhile.
func (c *streamConn) Control(f func(fd uintptr)) error {
	s := (*Stream)(c)
	if j := s.joined.Load(); j != nil {
		return s.fileErr("raw-control", j.rc.Control(f))
	}
	if err := s.begin("raw-control", 0); err != nil {
		return err
	}
	defer s.done()
	f(uintptr(s.fd))
	return nil
}

// Read calls f until it returns true, waiting for readability in between
// (the first wait joins the poller).
func (c *streamConn) Read(f func(fd uintptr) bool) error {
	return (*Stream)(c).wait("raw-read", f, false)
}

// Write is Read for writability.
func (c *streamConn) Write(f func(fd uintptr) bool) error {
	return (*Stream)(c).wait("raw-write", f, true)
}

// wait runs f on the descriptor until it returns true, bare until f
// finds it not ready, in the poller after (joining it once).
func (s *Stream) wait(op string, f func(uintptr) bool, write bool) error {
	if s.joined.Load() == nil {
		d := &s.rdl
		if write {
			d = &s.wdl
		}
		if err := s.begin(op, d.want.Load()); err != nil {
			return err
		}
		if f(uintptr(s.fd)) {
			s.done()
			return nil
		}
		_, err := s.join()
		s.done()
		if err != nil {
			return err
		}
	}
	for {
		j := s.joined.Load()
		var err error
		if write {
			err = j.rc.Write(f)
		} else {
			err = j.rc.Read(f)
		}
		if s.early(err, write) {
			continue
		}
		return s.fileErr(op, err)
	}
}
