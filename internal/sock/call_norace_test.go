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

// TestRawWritesRaiseNoSIGPIPE: a raw write to a connection that can no
// longer send, of one part (WriteFD: send(2)) or two (sysWritev, behind
// Conn.WriteTwo: sendmsg(2)), fails with EPIPE and raises no SIGPIPE
// (MSG_NOSIGNAL; write(2) and writev(2) would raise one). Under the race
// detector the calls go through package syscall's write, hence the build
// tag.
func TestRawWritesRaiseNoSIGPIPE(t *testing.T) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	for name, write := range map[string]func(fd uintptr) error{
		"one part": func(fd uintptr) error { _, _, err := WriteFD(fd, []byte("after the end")); return err },
		"two parts": func(fd uintptr) error {
			if _, e := sysWritev(fd, []byte("after "), []byte("the end")); e != 0 {
				return e
			}
			return nil
		},
	} {
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
		if err := rc.Write(func(fd uintptr) bool { werr = write(fd); return true }); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(werr, syscall.EPIPE) {
			t.Fatalf("%s: write after CloseWrite: %v, want EPIPE", name, werr)
		}
		select {
		case s := <-sig:
			t.Fatalf("%s: the write raised %v", name, s)
		case <-time.After(200 * time.Millisecond): // a raised signal arrives within microseconds
		}
	}
}
