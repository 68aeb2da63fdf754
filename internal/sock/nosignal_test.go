//go:build linux && !race

package sock

import (
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestWritesRaiseNoSIGPIPE: writes to a connection its peer reset, one
// part (Write) or two (WriteTwo, one system call), fail without raising
// SIGPIPE (the runtime ignores it for sockets, but a process that asked
// for it with signal.Notify would get one per write, and each costs a
// signal delivery).
func TestWritesRaiseNoSIGPIPE(t *testing.T) {
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	for _, two := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		peer, err := ln.Accept()
		ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		peer.(*net.TCPConn).SetLinger(0)
		peer.Close() // a reset: writes fail, with EPIPE after the first
		var c Conn
		if !c.Init(nc) {
			t.Fatal("no raw connection")
		}
		a, b := []byte("head"), []byte("body")
		fails := 0
		for i := 0; i < 100 && fails < 3; i++ {
			var err error
			if two {
				_, err = c.WriteTwo(a, b)
			} else {
				_, err = c.Write(a)
			}
			if err != nil {
				fails++
			}
			time.Sleep(time.Millisecond)
		}
		nc.Close()
		if fails < 3 {
			t.Fatalf("two parts %v: writes to a reset connection did not fail", two)
		}
		select {
		case <-sig:
			t.Errorf("two parts %v: a write raised SIGPIPE", two)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
