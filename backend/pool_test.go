package backend

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// server accepts connections and hands them to the test.
func server(t *testing.T) (addr string, accepted chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	})
	return ln.Addr().String(), accepted
}

func TestIdlePool(t *testing.T) {
	addr, accepted := server(t)
	b := NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: addr}, 2)
	now := time.Now()
	dial := func() (*Conn, net.Conn) {
		c, err := b.Dial(context.Background(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return c, <-accepted
	}

	c1, s1 := dial()
	b.PutIdle(c1, now)
	if got := b.GetIdle(now, time.Minute); got != c1 || !got.Reused {
		t.Fatal("live idle connection not reused")
	}
	b.PutIdle(c1, now)

	// The server closes the idle connection: once it has been idle for
	// peekAfter, the pool peeks and notices.
	s1.Close()
	time.Sleep(20 * time.Millisecond) // let the FIN arrive; the check is a non-blocking peek
	if got := b.GetIdle(now.Add(peekAfter), time.Minute); got != nil {
		t.Fatal("dead idle connection reused")
	}

	// A connection with unread bytes is not reusable either.
	c2, s2 := dial()
	b.PutIdle(c2, now)
	s2.Write([]byte("stray"))
	time.Sleep(20 * time.Millisecond)
	if got := b.GetIdle(now.Add(peekAfter), time.Minute); got != nil {
		t.Fatal("connection with stray bytes reused")
	}

	// Idle for less than peekAfter, a connection is handed out without a
	// peek (the syscall it saves is per request under load): the request
	// path replays what fails on it.
	c6, s6 := dial()
	b.PutIdle(c6, now)
	s6.Close()
	time.Sleep(20 * time.Millisecond)
	if got := b.GetIdle(now.Add(peekAfter/2), time.Minute); got != c6 {
		t.Fatal("a briefly idle connection was not handed out")
	}
	c6.Close()

	// Expired connections are dropped, by GetIdle and by CloseExpired.
	c3, _ := dial()
	b.PutIdle(c3, now)
	if got := b.GetIdle(now.Add(2*time.Minute), time.Minute); got != nil {
		t.Fatal("expired connection reused")
	}
	c4, s4 := dial()
	b.PutIdle(c4, now)
	b.CloseExpired(now.Add(2*time.Minute), time.Minute)
	if b.IdleCount() != 0 {
		t.Fatal("CloseExpired kept an expired connection")
	}
	s4.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := s4.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("server side of an expired connection: %v, want EOF", err)
	}

	// The pool is bounded.
	var conns []*Conn
	for range 3 {
		c, _ := dial()
		conns = append(conns, c)
	}
	for _, c := range conns {
		b.PutIdle(c, now)
	}
	if n := b.IdleCount(); n != 2 {
		t.Fatalf("pool holds %d, limit 2", n)
	}

	// Removal closes idle connections and refuses new ones.
	b.remove()
	if b.IdleCount() != 0 {
		t.Fatal("removed backend keeps idle connections")
	}
	c5, s5 := dial()
	b.PutIdle(c5, now)
	s5.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := s5.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("connection released to a removed backend: %v, want EOF", err)
	}
}
