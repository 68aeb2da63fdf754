//go:build unix && !linux

package sock

import (
	"io"
	"net"
	"os"
	"syscall"
)

// Raw calls are only made on Linux; elsewhere Init refuses, and ReadFD
// makes an ordinary read(2).
const supported = false

// ReadFD is one read(2) of fd into p (not empty), for a caller that runs
// its own RawConn callback. again reports EAGAIN: nothing to read yet. At
// the end of the stream it returns 0 and io.EOF.
func ReadFD(fd uintptr, p []byte) (n int, again bool, err error) {
	for {
		n, err := syscall.Read(int(fd), p)
		switch {
		case err == nil && n == 0:
			return 0, false, io.EOF
		case err == nil:
			return n, false, nil
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, true, nil
		default:
			return 0, false, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
		}
	}
}

func (k *call) readOnce(fd uintptr) bool { k.err = errUnsupported; return true }

func (k *call) write(fd uintptr) bool { k.err = errUnsupported; return true }

func (k *call) peek(fd uintptr) bool { return true }

func shutdownWrite(fd uintptr) {}
