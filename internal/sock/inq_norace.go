//go:build linux && !race

package sock

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvmsg is recvmsg(2) of p with q's control buffer, as a raw call.
func (q *Inq) recvmsg(fd uintptr, p []byte) (int, syscall.Errno) {
	q.iov.Base = &p[0]
	q.iov.SetLen(len(p))
	q.msg.Iov = &q.iov
	q.msg.Iovlen = 1
	q.msg.Control = &q.ctl[0]
	q.msg.SetControllen(len(q.ctl))
	r, _, e := syscall.RawSyscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&q.msg)), 0)
	q.iov.Base = nil // p is not kept
	return int(r), e
}
