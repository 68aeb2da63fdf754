package backend

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
	"github.com/sluiceproxy/sluice/order"
)

// fakeResolver answers from a table the test changes; no DNS is asked.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]netip.Addr
	err     error
	lookups int
}

func (r *fakeResolver) set(host string, err error, ips ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
	r.answers[host] = nil
	for _, ip := range ips {
		r.answers[host] = append(r.answers[host], netip.MustParseAddr(ip))
	}
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	if r.err != nil {
		return nil, r.err
	}
	if a, ok := r.answers[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (r *fakeResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups
}

// TestResolveAndRefresh: a backend whose address names a host dials what
// the name resolves to; when the resolver's answer changes, new
// connections go to the new address and the idle pool (to the old one) is
// closed; a failed lookup keeps the last addresses; a refused address is
// followed by the next.
func TestResolveAndRefresh(t *testing.T) {
	addr, accepted := server(t) // 127.0.0.1:P, the only socket bound
	_, port, _ := net.SplitHostPort(addr)
	r := &fakeResolver{answers: map[string][]netip.Addr{}}
	r.set("app.test", nil, "127.0.0.1")
	env := &Env{Resolver: r, ResolveInterval: 5 * time.Millisecond}

	if got, err := env.Resolve(context.Background(), addr); got != nil || err != nil {
		t.Fatalf("Resolve of an IP address: %v %v", got, err)
	}
	if _, err := env.Resolve(context.Background(), "nowhere.test:"+port); err == nil || !strings.Contains(err.Error(), "nowhere.test") {
		t.Fatalf("Resolve of an unknown name: %v", err)
	}
	named := "app.test:" + port
	addrs, err := env.Resolve(context.Background(), named)
	if err != nil || !slices.Equal(addrs, []string{addr}) {
		t.Fatalf("Resolve(%s) = %v %v", named, addrs, err)
	}

	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c"}}, env)
	defer c.Close()
	b := NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: named}, 4)
	b.SetResolved(addrs)
	c.Add(b)

	conn, err := b.Dial(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	old := <-accepted
	b.PutIdle(conn, time.Now())
	if b.IdleCount() != 1 {
		t.Fatal("not pooled")
	}

	// The name moves to 127.0.0.2 (loopback, where nothing listens).
	r.set("app.test", nil, "127.0.0.2")
	moved := "127.0.0.2:" + port
	testwait.For(t, "the new address", func() bool { return slices.Equal(b.Resolved(), []string{moved}) })
	testwait.For(t, "the idle pool closed", func() bool { return b.IdleCount() == 0 })
	old.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := old.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the old pooled connection was not closed: %v", err)
	}
	if _, err := b.Dial(context.Background(), time.Second); err == nil || !strings.Contains(err.Error(), moved) {
		t.Fatalf("a new connection did not go to %s: %v", moved, err)
	}

	// A failed lookup keeps the addresses.
	n := r.count()
	r.set("app.test", errors.New("server misbehaving"))
	testwait.For(t, "two failed lookups", func() bool { return r.count() >= n+2 })
	if !slices.Equal(b.Resolved(), []string{moved}) {
		t.Fatalf("a failed lookup changed the addresses: %v", b.Resolved())
	}

	// Two addresses: the refused first one is followed by the second.
	r.set("app.test", nil, "127.0.0.2", "127.0.0.1")
	testwait.For(t, "both addresses", func() bool { return len(b.Resolved()) == 2 })
	conn, err = b.Dial(context.Background(), time.Second)
	if err != nil {
		t.Fatalf("with a refused first address: %v", err)
	}
	conn.Close()
	<-accepted
	c.Remove("b") // its refresh ends (goleak checks that none is left)
}
