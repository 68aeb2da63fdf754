//go:build linux

package sock

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const supported = true

// peek is Quiet's callback: quiet when a non-blocking peek finds EAGAIN.
// It never waits.
func (k *call) peek(fd uintptr) bool {
	var b [1]byte
	for {
		_, _, e := syscall.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
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
	_, _, _ = syscall.RawSyscall(unix.SYS_SHUTDOWN, fd, syscall.SHUT_WR, 0)
}
