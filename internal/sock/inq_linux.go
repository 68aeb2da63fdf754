//go:build linux

package sock

import (
	"io"
	"syscall"
	"unsafe"
)

// tcpInq is TCP_INQ (Linux 4.18): with it on, each recvmsg(2) of the
// socket carries a control message of the same type (TCP_CM_INQ) with
// the bytes still queued after the read, or 1 once the peer's FIN has
// come though no byte is left (the kernel's "read on" hint).
const tcpInq = 36

// EnableInq turns TCP_INQ on for rc's socket and reports whether it is on
// (false on kernels without it, or when rc is not a TCP socket).
func EnableInq(rc syscall.RawConn) bool {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpInq, 1)
	}); err != nil {
		return false
	}
	return serr == nil
}

// Inq reads a socket with TCP_INQ on (EnableInq), learning with each read
// whether anything is left: a read that leaves 0 proves the socket empty
// and its stream not ended at that moment, so whatever comes later makes
// the runtime's poller report readiness again, and a caller inside a
// RawConn.Read callback may wait without the read that would find
// nothing. The zero value is ready; one Inq serves one reader at a time
// (it holds the call's header and control buffer, so reads allocate
// nothing).
type Inq struct {
	msg syscall.Msghdr
	iov syscall.Iovec
	ctl [24]byte // one control message of a 4-byte value: CmsgSpace(4)
}

// Read is ReadFD through recvmsg(2): one read of fd into p (not empty).
// rest is what the kernel reported left after it (bytes queued, or 1 for
// an end of stream still to read), -1 when it reported nothing. again
// reports EAGAIN; at the end of the stream it returns 0 and io.EOF.
func (q *Inq) Read(fd uintptr, p []byte) (n, rest int, again bool, err error) {
	for {
		r, e := q.recvmsg(fd, p)
		switch e {
		case 0:
			if r == 0 {
				return 0, 0, false, io.EOF
			}
			return r, q.rest(), false, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, 0, true, nil
		default:
			return 0, 0, false, opError("read", e)
		}
	}
}

// rest parses the control message the last read left in q.ctl.
func (q *Inq) rest() int {
	const hdr = int(unsafe.Sizeof(syscall.Cmsghdr{}))
	if int(q.msg.Controllen) < hdr+4 {
		return -1
	}
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&q.ctl[0]))
	if h.Level != syscall.IPPROTO_TCP || h.Type != tcpInq || int(h.Len) < hdr+4 {
		return -1
	}
	return int(*(*int32)(unsafe.Pointer(&q.ctl[hdr])))
}
