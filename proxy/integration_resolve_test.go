package proxy_test

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// tableResolver answers host names from a table; no DNS is asked.
type tableResolver struct {
	mu sync.Mutex
	m  map[string]string
}

func (r *tableResolver) set(host, ip string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[host] = ip
}

func (r *tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ip, ok := r.m[host]; ok {
		return []netip.Addr{netip.MustParseAddr(ip)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestBackendHostNames: a backend may name its host: it is resolved when
// added (an unknown name is refused, naming it), listed with what it
// resolved to, and re-resolved: when the name moves, new requests follow.
func TestBackendHostNames(t *testing.T) {
	r := &tableResolver{m: map[string]string{}}
	h := startProxy(t, func(c *proxy.Config) { c.Resolver, c.ResolveInterval = r, 10*time.Millisecond })
	o := newOrigin(t, "app", nil)
	_, port, _ := net.SplitHostPort(o.Addr)
	r.set("app.test", "127.0.0.1")
	h.addCluster("shop")
	h.addFrontend(order.HTTPFrontend{Address: h.Addr, Hostname: "shop.test", ClusterID: "shop"})
	resp := h.Do(order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "b0", Address: "nowhere.test:" + port}})
	if resp.Status != order.StatusError || !strings.Contains(resp.Message, "backend.address") || !strings.Contains(resp.Message, "nowhere.test") {
		t.Fatalf("an unknown name: %+v", resp)
	}
	h.addBackend("shop", "b0", "app.test:"+port)
	r2, body := h.get("shop.test", "/x")
	wantStatus(t, r2, body, 200)
	st := h.Must(order.ListBackends{ClusterID: "shop"}).Content.Backends[0]
	if st.Address != "app.test:"+port || !slices.Equal(st.Resolved, []string{"127.0.0.1:" + port}) {
		t.Errorf("listed as %s resolved %v", st.Address, st.Resolved)
	}
	// The name moves to 127.0.0.2, where nothing listens: new requests go
	// there and fail.
	r.set("app.test", "127.0.0.2")
	eventually(t, ioTimeout, "the new address listed", func() bool {
		b := h.Must(order.ListBackends{ClusterID: "shop"}).Content.Backends[0]
		return slices.Equal(b.Resolved, []string{"127.0.0.2:" + port})
	})
	h.Tr.CloseIdleConnections()
	r3, body := h.get("shop.test", "/y")
	if r3.StatusCode != 502 && r3.StatusCode != 503 {
		t.Errorf("after the name moved to an address where nothing listens: %d %s", r3.StatusCode, body)
	}
	// And back.
	r.set("app.test", "127.0.0.1")
	eventually(t, ioTimeout, "requests served again", func() bool {
		h.Tr.CloseIdleConnections()
		resp, _ := h.get("shop.test", "/z")
		return resp.StatusCode == 200
	})
}
