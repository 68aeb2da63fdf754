//go:build linux && !race

package sock

import (
	"errors"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestWriteFDRaisesNoSIGPIPE: a raw write to a connection that can no
// longer send fails with EPIPE and raises no SIGPIPE (send(2) with
// MSG_NOSIGNAL; write(2) would raise one). Under the race detector the
// calls go through package syscall's write, hence the build tag.
func TestWriteFDRaisesNoSIGPIPE(t *testing.T) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	c, _ := pair(t)
	tc := c.(*net.TCPConn)
	if err := tc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		_, _, werr = WriteFD(fd, []byte("after the end"))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(werr, syscall.EPIPE) {
		t.Fatalf("write after CloseWrite: %v, want EPIPE", werr)
	}
	select {
	case s := <-sig:
		t.Fatalf("the write raised %v", s)
	case <-time.After(200 * time.Millisecond): // a raised signal arrives within microseconds
	}
}
