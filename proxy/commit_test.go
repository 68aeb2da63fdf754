package proxy

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// newTestProxy returns a proxy whose loop is the test itself (apply and
// applyAll are called directly); it is shut down when the test ends.
func newTestProxy(t *testing.T) *proxy {
	p := newProxy(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, newHub())
	t.Cleanup(func() {
		_, end := NewChannel(1)
		p.shutdown(context.Background(), end)
	})
	return p
}

// TestBatchRebindsAnAddressItCloses: a batch that closes a listener and
// opens another on its address (a reload that changes a listener's
// protocol) cannot open that socket before it commits, since the old
// listener holds it; it is opened when the new listener activates, after
// the old one released it.
func TestBatchRebindsAnAddressItCloses(t *testing.T) {
	p := newTestProxy(t)
	addr := freeAddr(t)
	if err := p.apply(order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: addr, Active: true}}); err != nil {
		t.Fatal(err)
	}
	err := p.applyAll([]order.Order{
		order.RemoveListener{Address: addr},
		order.AddListener{Listener: order.Listener{Protocol: order.TCP, Address: addr, Active: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rl := p.listeners[addr]; rl == nil || rl.tcp == nil || rl.acceptor == nil {
		t.Fatalf("runtime listener after the batch: %+v", rl)
	}
	if l, _ := p.state.Listener(addr); l.Protocol != order.TCP || !l.Active {
		t.Fatalf("state: %+v", l)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestFailedBindUndoesTheBatch: when one socket of a batch cannot be
// opened, those opened before it are closed and nothing else happens.
func TestFailedBindUndoesTheBatch(t *testing.T) {
	p := newTestProxy(t)
	free := freeAddr(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	before := p.state
	err = p.applyAll([]order.Order{
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: free, Active: true}},
		order.AddCluster{Cluster: order.Cluster{ID: "c"}},
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: held.Addr().String(), Active: true}},
	})
	if err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Fatalf("batch with a held address: %v", err)
	}
	if len(p.listeners) != 0 || len(p.clusters) != 0 {
		t.Fatalf("the refused batch left runtime objects: %d listeners, %d clusters", len(p.listeners), len(p.clusters))
	}
	a, _ := json.Marshal(before.Dump())
	b, _ := json.Marshal(p.state.Dump())
	if string(a) != string(b) {
		t.Fatalf("the refused batch changed the state:\n%s", b)
	}
	ln, err := net.Listen("tcp", free)
	if err != nil {
		t.Fatalf("the socket opened for the first listener was not closed: %v", err)
	}
	ln.Close()
}
