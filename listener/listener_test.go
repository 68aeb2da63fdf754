package listener

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWorkersReused: connections served one after the other reuse the
// worker that served the previous one; idle workers are bounded, end on
// Close, and are counted with the connections, so that waiting for the
// connections waits for them.
func TestWorkersReused(t *testing.T) {
	var conns sync.WaitGroup
	served := make(chan struct{}, 1000)
	a, err := Listen(nil, "127.0.0.1:0", NewSlots(1000), &conns, func(c net.Conn, release func()) {
		c.Close()
		release()
		served <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", a.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i := 0; i < 50; i++ {
		c := dial()
		<-served
		c.Close()
		testwait.For(t, "the worker to wait for the next connection", func() bool { return a.IdleWorkers() >= 1 })
	}
	if n := a.IdleWorkers(); n != 1 {
		t.Fatalf("%d idle workers after 50 connections one at a time; want the one worker, reused", n)
	}

	a.Close()
	testwait.Group(t, "the idle workers to end on Close", &conns)
	if n := a.IdleWorkers(); n != 0 {
		t.Fatalf("%d idle workers after Close", n)
	}
}

// TestIdleWorkersBounded: after a burst of connections served at once, at
// most MaxIdleWorkers workers stay.
func TestIdleWorkersBounded(t *testing.T) {
	var conns sync.WaitGroup
	const burst = 150
	var started sync.WaitGroup
	started.Add(burst)
	gate := make(chan struct{})
	a, err := Listen(nil, "127.0.0.1:0", NewSlots(1000), &conns, func(c net.Conn, release func()) {
		started.Done()
		<-gate // every connection is served at once
		c.Close()
		release()
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	dialBurst(t, a.Addr().String(), burst)
	started.Wait()
	close(gate)
	testwait.For(t, "idle workers to settle", func() bool { return a.IdleWorkers() == MaxIdleWorkers })
	a.Close()
	conns.Wait()
}

// TestBusyWorkerEndsAfterClose: a worker serving a connection when the
// Acceptor closes ends once that connection is served, not before.
func TestBusyWorkerEndsAfterClose(t *testing.T) {
	var conns sync.WaitGroup
	started, finish := make(chan struct{}), make(chan struct{})
	a, err := Listen(nil, "127.0.0.1:0", NewSlots(10), &conns, func(c net.Conn, release func()) {
		close(started)
		<-finish
		c.Close()
		release()
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	c, err := net.Dial("tcp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-started
	a.Close()
	done := make(chan struct{})
	go func() { conns.Wait(); close(done) }()
	select {
	case <-done:
		t.Fatal("the connections' wait ended while one was still being served")
	case <-time.After(50 * time.Millisecond):
	}
	close(finish)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker did not end after its connection")
	}
}

// TestIdleWorkersRetire: workers left waiting after a burst end once
// they have not all been needed for a whole workerIdle, and the
// connections' count waits for none of them after Close.
func TestIdleWorkersRetire(t *testing.T) {
	var conns sync.WaitGroup
	const burst = 5
	var started sync.WaitGroup
	started.Add(burst)
	gate := make(chan struct{})
	a, err := Listen(nil, "127.0.0.1:0", NewSlots(100), &conns, func(c net.Conn, release func()) {
		started.Done()
		<-gate
		c.Close()
		release()
	})
	if err != nil {
		t.Fatal(err)
	}
	a.workerIdle = 50 * time.Millisecond
	a.Start()
	dialBurst(t, a.Addr().String(), burst)
	started.Wait()
	close(gate)
	testwait.For(t, "the burst's workers to wait", func() bool { return a.IdleWorkers() == burst })
	testwait.For(t, "the burst's workers to end", func() bool { return a.IdleWorkers() == 0 })
	a.Close()
	conns.Wait()
}

// dialBurst opens n connections to addr, closed at the test's end.
func dialBurst(t *testing.T, addr string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
}
