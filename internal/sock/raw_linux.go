//go:build linux

package sock

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

const supported = true

// ReadFD is one read(2) of fd into p (not empty) without the scheduler's
// hand-off, for a caller that runs its own RawConn callback. again reports
// EAGAIN: nothing to read yet. At the end of the stream it returns 0 and
// io.EOF.
func ReadFD(fd uintptr, p []byte) (n int, again bool, err error) {
	for {
		r, e := sysRead(fd, p)
		switch e {
		case 0:
			if r == 0 {
				return 0, false, io.EOF
			}
			return r, false, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, true, nil
		default:
			return 0, false, opError("read", e)
		}
	}
}

// readOnce is the read callback: one read(2) into k.in. It returns false
// (wait for readability) on EAGAIN.
func (k *call) readOnce(fd uintptr) bool {
	n, again, err := ReadFD(fd, k.in)
	k.n, k.err = n, err
	return !again
}

// write is the write callback: write(2) until k.out is written whole. It
// returns false (wait for room) on EAGAIN.
func (k *call) write(fd uintptr) bool {
	for k.done < len(k.out) {
		r, e := sysWrite(fd, k.out[k.done:])
		switch e {
		case 0:
			k.done += r
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			k.err = opError("write", e)
			return true
		}
	}
	return true
}

// peek is Quiet's callback: quiet when a non-blocking peek finds EAGAIN.
// It never waits.
func (k *call) peek(fd uintptr) bool {
	var b [1]byte
	for {
		_, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		k.quiet = e == syscall.EAGAIN
		return true
	}
}

// shutdownWrite is shutdown(fd, SHUT_WR) as a raw call.
func shutdownWrite(fd uintptr) {
	_, _, _ = syscall.RawSyscall(syscall.SYS_SHUTDOWN, fd, syscall.SHUT_WR, 0)
}

// opError wraps a system call's error as net.Conn's methods do.
func opError(op string, e syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, e)}
}
