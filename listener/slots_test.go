package listener

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// holder is a Handler that keeps every connection open until told to let
// it go, in arrival order.
type holder struct {
	mu   sync.Mutex
	held []func() // each closes its connection and releases it
	n    atomic.Int32
}

func (h *holder) serve(c net.Conn, release func()) {
	h.mu.Lock()
	h.held = append(h.held, func() { c.Close(); release() })
	h.mu.Unlock()
	h.n.Add(1)
}

// letGo ends the oldest connection still held; false when none is.
func (h *holder) letGo() bool {
	h.mu.Lock()
	if len(h.held) == 0 {
		h.mu.Unlock()
		return false
	}
	f := h.held[0]
	h.held = h.held[1:]
	h.mu.Unlock()
	f()
	return true
}

func (h *holder) letAllGo() {
	for h.letGo() {
	}
}

// TestSlotsReclaim: with every slot taken, the accept loop asks the
// reclaimer, and a connection it ends makes room for the next one.
func TestSlotsReclaim(t *testing.T) {
	var conns sync.WaitGroup
	var h holder
	slots := NewSlots(3)
	var asked atomic.Int32
	slots.SetReclaim(func() int {
		asked.Add(1)
		if h.letGo() {
			return 1
		}
		return 0
	})
	a, err := Listen(nil, "127.0.0.1:0", slots, &conns, h.serve)
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	defer func() { a.Close(); h.letAllGo(); conns.Wait() }()
	for i := range 5 {
		c, err := net.Dial("tcp", a.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		testwait.For(t, "the connection to be served", func() bool { return h.n.Load() == int32(i+1) })
	}
	if n := asked.Load(); n != 2 {
		t.Errorf("the reclaimer was asked %d times for 5 connections in 3 slots; want 2", n)
	}
	if n := slots.InUse(); n != 3 {
		t.Errorf("%d slots in use; want 3", n)
	}
}

// TestSlotsBusyPause: when the reclaimer finds nothing to close, accepting
// pauses until a connection ends, and the reclaimer is asked again while
// it waits.
func TestSlotsBusyPause(t *testing.T) {
	var conns sync.WaitGroup
	var h holder
	slots := NewSlots(1)
	var asked atomic.Int32
	slots.SetReclaim(func() int { asked.Add(1); return 0 })
	a, err := Listen(nil, "127.0.0.1:0", slots, &conns, h.serve)
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	defer func() { a.Close(); h.letAllGo(); conns.Wait() }()
	for range 2 {
		c, err := net.Dial("tcp", a.Addr().String()) // the second waits in the backlog
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	testwait.For(t, "the first connection to be served", func() bool { return h.n.Load() == 1 })
	testwait.For(t, "the reclaimer to be asked again", func() bool { return asked.Load() >= 2 })
	if n := h.n.Load(); n != 1 {
		t.Fatalf("%d connections served in 1 slot", n)
	}
	h.letGo()
	testwait.For(t, "the second connection to be served", func() bool { return h.n.Load() == 2 })
}
