//go:build linux && !race

package sock

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysRead and sysWrite are recv(2) and send(2) as raw calls: recvfrom and
// sendto without an address. On a socket they do what read(2) and write(2)
// do, without the file layer those pass through first (the position lock
// check, rw_verify_area, the file permission hook, an iov_iter): a few
// percent less of the kernel's time per call on a 64-byte relay. sysWrite
// sends with MSG_NOSIGNAL: a write to a connection that can no longer send
// returns EPIPE without raising SIGPIPE.
//
// The call numbers are x/sys/unix's, which has them for every Linux
// architecture: package syscall has none for the socket calls of 386,
// which it reaches through socketcall(2) (a 386 kernel has them since
// Linux 4.3).

func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	return int(r), e
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		syscall.MSG_NOSIGNAL, 0, 0)
	return int(r), e
}

// sysWritev writes a then b, both not empty, with one sendmsg(2) (a
// writev(2) with send's flags) and MSG_NOSIGNAL, as sysWrite; the message
// header and its vector stay on the stack.
func sysWritev(fd uintptr, a, b []byte) (int, syscall.Errno) {
	iov := [2]syscall.Iovec{{Base: &a[0]}, {Base: &b[0]}}
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	msg := syscall.Msghdr{Iov: &iov[0], Iovlen: 2} // an untyped constant: Iovlen's type is the platform's
	r, _, e := syscall.RawSyscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&msg)), syscall.MSG_NOSIGNAL)
	return int(r), e
}
