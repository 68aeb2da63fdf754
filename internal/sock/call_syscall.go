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

func errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return err.(syscall.Errno)
}
