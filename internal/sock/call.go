package sock

import (
	"io"
	"net"
	"os"
	"syscall"
)

// ReadFD is one read of fd into p (not empty; recv(2), see sysRead)
// without the scheduler's hand-off (on Linux), for a caller that runs its
// own RawConn callback. again reports EAGAIN: nothing to read yet. At the
// end of the stream it returns 0 and io.EOF.
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

// write is the write callback: write(2) until k.out is written whole,
// and k.more after it (writev(2) of both while part of k.out is left). It
// returns false (wait for room) on EAGAIN.
func (k *call) write(fd uintptr) bool {
	for k.done < len(k.out) {
		var r int
		var e syscall.Errno
		if len(k.more) > 0 {
			r, e = sysWritev(fd, k.out[k.done:], k.more)
		} else {
			r, e = sysWrite(fd, k.out[k.done:])
		}
		switch e {
		case 0:
			k.done += r
			if k.done >= len(k.out) && len(k.more) > 0 { // on to more
				k.past += len(k.out)
				k.done -= len(k.out)
				k.out, k.more = k.more, nil
			}
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

// opError wraps a system call's error as net.Conn's methods do.
func opError(op string, e syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, e)}
}

// WriteFD is one non-blocking write of p to fd (send(2), see sysWrite),
// retried on EINTR: the bytes written, again when the socket had no room
// for any (EAGAIN), or the error, wrapped as net.Conn's methods do. It may
// write part of p.
func WriteFD(fd uintptr, p []byte) (n int, again bool, err error) {
	for {
		r, e := sysWrite(fd, p)
		switch e {
		case 0:
			return r, false, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, true, nil
		default:
			return 0, false, opError("write", e)
		}
	}
}
