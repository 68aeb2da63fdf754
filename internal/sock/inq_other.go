//go:build !linux

package sock

import "syscall"

// EnableInq reports false: TCP_INQ is Linux's.
func EnableInq(syscall.RawConn) bool { return false }

// Inq is Linux's (see inq_linux.go); elsewhere it is never enabled.
type Inq struct{}

// Read is never called where EnableInq reports false.
func (q *Inq) Read(fd uintptr, p []byte) (n, rest int, again bool, err error) {
	n, again, err = ReadFD(fd, p)
	return n, -1, again, err
}
