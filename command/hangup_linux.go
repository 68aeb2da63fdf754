package command

import (
	"syscall"
	"unsafe"
)

// pollfd is struct pollfd of poll(2).
type pollfd struct {
	fd      int32
	events  int16
	revents int16
}

const (
	pollErr = 0x8  // POLLERR
	pollHup = 0x10 // POLLHUP
)

// peerGone reports whether the peer of a unix stream socket has closed it
// entirely. A peer that only shut down its writing side (a half-close, as
// socat does at the end of its input) still reads, so it is not gone: Linux
// reports POLLHUP only once both directions are shut.
func peerGone(raw syscall.RawConn) bool {
	gone := false
	raw.Control(func(fd uintptr) {
		p := pollfd{fd: int32(fd)}
		var ts syscall.Timespec // zero: do not wait
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1,
			uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		gone = errno == 0 && n == 1 && p.revents&(pollHup|pollErr) != 0
	})
	return gone
}
