// Package testwait waits, in tests, for a condition that other goroutines
// bring about (a worker parked, a log line written), with a bound.
package testwait

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// Bound is how long For waits.
const Bound = 5 * time.Second

// For polls cond every millisecond until it holds, and fails tb, naming
// what it waited for, when it has not after Bound.
func For(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(Bound); !cond(); {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", Bound, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Group waits for wg, and fails tb, naming what it waited for, when wg
// has not ended after Bound (the goroutine waiting on wg then stays).
func Group(tb testing.TB, what string, wg *sync.WaitGroup) {
	tb.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(Bound):
		tb.Fatalf("waited %v for %s", Bound, what)
	}
}

// Converse writes in to c, reads what comes back until c has been quiet
// for quiet (so that what in asked for is answered), ends c's writing side
// and reads on until c is closed. A failed write (the peer closed first)
// is an answer too. It fails tb when c is still open 10 s after its end;
// it returns every byte read. c must be a *net.TCPConn.
func Converse(tb testing.TB, c net.Conn, in []byte, quiet time.Duration) []byte {
	tb.Helper()
	if err := c.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := c.Write(in); err == nil {
		buf := make([]byte, 4096)
		for {
			_ = c.SetReadDeadline(time.Now().Add(quiet))
			n, err := c.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				break
			}
		}
		_ = c.(*net.TCPConn).CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(&got, c); errors.Is(err, os.ErrDeadlineExceeded) {
		tb.Fatalf("the connection was still open 10 s after the client's end")
	}
	return got.Bytes()
}
