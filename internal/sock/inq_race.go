//go:build linux && race

package sock

import "syscall"

// recvmsg is recvmsg(2) of p through package syscall (see
// call_syscall.go), its control bytes copied where Inq.rest reads them.
func (q *Inq) recvmsg(fd uintptr, p []byte) (int, syscall.Errno) {
	n, oobn, _, _, err := syscall.Recvmsg(int(fd), p, q.ctl[:], 0)
	q.msg.SetControllen(oobn)
	return max(n, 0), errno(err)
}
