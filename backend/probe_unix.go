//go:build unix

package backend

import (
	"net"
	"syscall"
)

// probe tells whether an idle connection is still usable: the peer has not
// closed it and has sent nothing unasked (a stray byte means the framing of
// the last exchange was wrong, so the connection must not be reused).
type probe struct {
	rc   syscall.RawConn
	ok   bool
	peek func(fd uintptr) bool // p.doPeek, bound once so probing allocates nothing
}

func newProbe(c net.Conn) *probe {
	p := &probe{}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			p.rc = rc
			p.peek = p.doPeek
		}
	}
	return p
}

func (p *probe) doPeek(fd uintptr) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	p.ok = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
	return true // never wait for readiness
}

// alive peeks at the socket without blocking: EAGAIN means open and quiet.
func (p *probe) alive() bool {
	if p.rc == nil {
		return true
	}
	p.ok = false
	err := p.rc.Read(p.peek)
	return err == nil && p.ok
}
