package command

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// A binary upgrade hands the command socket from the old process to the
// new one as a listening descriptor, so that the path always has a server:
// the old process stops accepting (Detach) once the new one serves
// (Inherit), and neither removes the path in between.

// Inherit returns a server on a listening command socket received from
// the process this one replaces: f is the socket (Inherit owns it), path
// the file it is reachable at, which must be that socket. Close removes
// path (when it is still that socket), as for a server of Listen.
func Inherit(path string, f *os.File) (*Server, error) {
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("command: the inherited command socket: %w", err)
	}
	ul, ok := ln.(*net.UnixListener)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("command: the inherited command socket is a %s socket, not a unix one", ln.Addr().Network())
	}
	ul.SetUnlinkOnClose(false)
	info, err := os.Lstat(path)
	if err == nil && info.Mode().Type() != fs.ModeSocket {
		err = fmt.Errorf("%s is not a socket", path)
	}
	if err != nil {
		ul.Close()
		return nil, fmt.Errorf("command: the inherited command socket: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{path: path, info: info, ln: ul, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}, nil
}

// Dup returns a duplicate of the listening socket's descriptor
// (close-on-exec), for a handover; the caller closes it.
func (s *Server) Dup() (int, error) {
	rc, err := s.ln.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	return nfd, derr
}

// Detach stops accepting connections and leaves the socket file to the
// process that took it over: Serve returns nil, connections already open
// are served until Close, and Close does not remove the path.
func (s *Server) Detach() {
	s.mu.Lock()
	s.detached = true
	s.mu.Unlock()
	s.ln.Close()
}
