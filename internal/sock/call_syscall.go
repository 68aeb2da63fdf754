//go:build (linux && race) || (unix && !linux)

package sock

import "syscall"

// Under the race detector, and where raw calls are not made, the calls go
// through package syscall, which tells the race detector that I/O orders
// the goroutines on both ends of a connection (a raw call cannot). The
// logic around them is the same.

func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return max(n, 0), errno(err)
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return max(n, 0), errno(err)
}

// sysWritev writes a only (the caller goes on with b): package syscall
// has no writev, and this build is about correctness, not system calls.
func sysWritev(fd uintptr, a, _ []byte) (int, syscall.Errno) { return sysWrite(fd, a) }

func errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return err.(syscall.Errno)
}
