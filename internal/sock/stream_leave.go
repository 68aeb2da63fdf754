//go:build linux

package sock

import "syscall"

// Leave takes the Stream out of the runtime's poller and keeps the
// connection: a long-idle connection then holds no os.File and no poller
// entry (a parked session's, which its own epoll watches meanwhile). The
// Stream joins again at its next wait, as a fresh one does. The descriptor
// number changes (the connection moves to a dup(2) of it before the file
// closes). The caller must have no Read, Write or RawConn call in progress
// and start none until Leave returns; Close may come at any time. Leave
// reports whether the Stream is bare now; on false (closed, or out of
// descriptors) it is as it was.
func (s *Stream) Leave() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.joined.Load()
	if j == nil {
		return s.state.Load()&1 == 0
	}
	if !s.acquire() {
		return false
	}
	// Our reference keeps a concurrent Close from closing the descriptor;
	// done closes the new one if Close came meanwhile.
	defer s.done()
	nfd, errno := -1, syscall.Errno(0)
	err := j.rc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		nfd, errno = int(r), e
	})
	if err != nil || errno != 0 {
		return false
	}
	s.fd = nfd
	s.joined.Store(nil) // after fd: bare calls load joined first
	_ = j.f.Close()     // the poller forgets the old descriptor; the connection stays open on nfd
	return true
}
