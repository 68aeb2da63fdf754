package proxy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// dumpOf is the proxy's state dump.
func (h *harness) dumpOf() *order.State {
	h.t.Helper()
	return h.Must(order.DumpState{WithKeys: true}).Content.State
}

// TestReloadConvergesToTheTarget: a reload makes the running configuration
// equal to its target, touching only what differs (a dry run says what it
// would do and changes nothing); traffic to what stays is answered
// throughout; a target that does not hold together changes nothing.
func TestReloadConvergesToTheTarget(t *testing.T) {
	h := startProxy(t, nil)
	a, b := newOrigin(t, "a", nil), newOrigin(t, "b", nil)
	h.route("keep.test", a.Addr)
	h.route("gone.test", b.Addr)
	listener := h.dumpOf().Listeners[0]
	target := []order.Order{
		order.AddListener{Listener: listener},
		order.AddCluster{Cluster: order.Cluster{ID: "c-keep_test"}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "keep.test", ClusterID: "c-keep_test"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "c-keep_test", ID: "b0", Address: a.Addr, Weight: 40}},
		order.AddCluster{Cluster: order.Cluster{ID: "new", StickySession: true}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "new.test", ClusterID: "new"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "new", ID: "n0", Address: b.Addr}},
	}
	before := h.dumpOf()
	dry := h.Must(order.Reload{Target: order.Requests(target), DryRun: true}).Content.Orders
	if len(dry) == 0 || !reflect.DeepEqual(h.dumpOf(), before) {
		t.Fatalf("dry run: %d orders, state changed %v", len(dry), !reflect.DeepEqual(h.dumpOf(), before))
	}
	var kinds []string
	for _, r := range dry {
		kinds = append(kinds, string(r.Order.Kind()))
	}
	got := strings.Join(kinds, " ")
	// The weight changes in place; the cluster that goes takes its
	// frontend and backend along.
	if !strings.Contains(got, "update_backend") || strings.Contains(got, "remove_backend") ||
		!strings.Contains(got, "remove_cluster") || !strings.Contains(got, "add_cluster") {
		t.Errorf("dry run batch: %s", got)
	}

	applied := h.Must(order.Reload{Target: order.Requests(target)}).Content.Orders
	if len(applied) != len(dry) {
		t.Errorf("applied %d orders, the dry run said %d", len(applied), len(dry))
	}
	resp, body := h.get("keep.test", "/")
	wantStatus(t, resp, body, 200)
	resp, body = h.get("new.test", "/")
	wantStatus(t, resp, body, 200)
	resp, body = h.get("gone.test", "/")
	wantStatus(t, resp, body, 404)

	// The same target again: nothing to do.
	if again := h.Must(order.Reload{Target: order.Requests(target)}).Content.Orders; len(again) != 0 {
		t.Errorf("a second reload to the same target applied %d orders", len(again))
	}
	// A target that does not hold together (a frontend to a missing
	// cluster) is refused whole.
	now := h.dumpOf()
	bad := append(append([]order.Order{}, target...),
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: h.Addr, Hostname: "x.test", ClusterID: "nope"}})
	if r := h.Do(order.Reload{Target: order.Requests(bad[:1])}); r.Status != order.StatusOK {
		t.Fatalf("a reload to a listener alone: %+v", r) // removes everything but the listener: allowed
	}
	h.Must(order.Reload{Target: order.Requests(target)})
	if r := h.Do(order.Reload{Target: order.Requests(bad)}); r.Status != order.StatusError || !strings.Contains(r.Message, "nope") {
		t.Errorf("a broken target: %+v", r)
	}
	if !reflect.DeepEqual(h.dumpOf(), now) {
		t.Error("a refused reload changed the state")
	}
}

// TestSavedStateFollowsEveryOrder: with Config.SavedState, every order
// that changes the configuration is on disk (mode 0600) before its answer;
// a refused one changes nothing there; a batch is written once whole.
func TestSavedStateFollowsEveryOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	h := startProxy(t, func(c *proxy.Config) { c.SavedState = path })
	read := func() *order.State {
		t.Helper()
		st, err := proxy.ReadState(path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	h.addCluster("shop")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved state after an order: %v %v", fi, err)
	}
	if st := read(); len(st.Clusters) != 1 || st.Clusters[0].ID != "shop" {
		t.Fatalf("saved clusters %+v", st.Clusters)
	}
	h.Must(order.UpdateCluster{ID: "shop", StickySession: order.Some(true)})
	if st := read(); !st.Clusters[0].StickySession {
		t.Errorf("the update is not on disk: %+v", st.Clusters[0])
	}
	saved, _ := os.ReadFile(path)
	if r := h.Do(order.AddBackend{Backend: order.Backend{ClusterID: "none", ID: "x", Address: "127.0.0.1:1"}}); r.Status != order.StatusError {
		t.Fatalf("a bad order was applied: %+v", r)
	}
	if now, _ := os.ReadFile(path); string(now) != string(saved) {
		t.Error("a refused order changed the saved state")
	}
	if !reflect.DeepEqual(read(), h.dumpOf()) {
		b1, _ := json.Marshal(read())
		b2, _ := json.Marshal(h.dumpOf())
		t.Errorf("saved state %s\nrunning %s", b1, b2)
	}
}
