//go:build unix && !linux

package sock

// Raw calls are only made on Linux; elsewhere Init leaves a Conn on its
// net.Conn, and ReadFD makes an ordinary read(2) (call_syscall.go).
const supported = false

func (k *call) peek(fd uintptr) bool { return true }

func shutdownWrite(fd uintptr) {}
