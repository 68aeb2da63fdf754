package backend

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// TestConnIO: a dialed connection reads and writes with raw system calls on
// Linux (package internal/sock), and WriteRead sends a request and reads
// its answer.
func TestConnIO(t *testing.T) {
	addr, accepted := server(t)
	b := NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: addr}, 2)
	c, err := b.Dial(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := <-accepted
	if runtime.GOOS == "linux" && !c.raw.Ready() {
		t.Fatal("a dialed TCP connection has no raw calls on Linux")
	}
	go func() { // answer each 4-byte request with "ok" + the request
		buf := make([]byte, 4)
		for {
			if _, err := io.ReadFull(srv, buf); err != nil {
				return
			}
			srv.Write(append([]byte("ok"), buf...))
		}
	}()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	in := make([]byte, 16)
	n, writing, err := c.WriteRead([]byte("req1"), in)
	if err != nil || writing {
		t.Fatalf("WriteRead: %v (writing %v)", err, writing)
	}
	for n < 6 && err == nil {
		var k int
		k, err = c.Read(in[n:])
		n += k
	}
	if string(in[:n]) != "okreq1" {
		t.Fatalf("answer %q, %v; want okreq1", in[:n], err)
	}
	if _, err := c.Write([]byte("req2")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, in[:6]); err != nil || string(in[:6]) != "okreq2" {
		t.Fatalf("answer %q, %v; want okreq2", in[:6], err)
	}
	srv.Close()
	if n, writing, err := c.WriteRead([]byte("req3"), in); err == nil {
		t.Fatalf("WriteRead to a closed server = %d, %v, nil; want an error", n, writing)
	}
}
