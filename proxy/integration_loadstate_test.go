package proxy_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// writeState writes st as a state file and returns its path.
func writeState(t *testing.T, st any) string {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadStateAllOrNothing: a state file is one batch. An invalid answer
// template in its middle, or a listener address another process holds,
// refuses the whole file: nothing of it is applied, no socket stays bound.
// The corrected file then loads and serves.
func TestLoadStateAllOrNothing(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "fresh", nil)
	h.route("app.test", newOrigin(t, "app", nil).Addr)
	newAddr := freeAddr(t)
	st := order.State{
		Version:   order.StateVersion,
		Listeners: []order.Listener{{Protocol: order.HTTP, Address: newAddr, Active: true}},
		Clusters: []order.Cluster{
			{ID: "broken", Answers: map[string]string{"503": "HTTP/1.1 503 Busy\r\nno colon here"}},
			{ID: "fresh"},
		},
		HTTPFrontends: []order.HTTPFrontend{{Address: newAddr, Hostname: "fresh.test", ClusterID: "fresh"}},
		Backends:      []order.Backend{{ClusterID: "fresh", ID: "f0", Address: o.Addr}},
	}
	before := h.dump()
	r := h.Do(order.LoadState{Path: writeState(t, st)})
	if r.Status != order.StatusError || !strings.Contains(r.Message, "order 2 (add_cluster): cluster.answers") {
		t.Fatalf("load with an invalid template: %s %q", r.Status, r.Message)
	}
	if h.dump() != before {
		t.Fatalf("the refused file changed the state:\n%s", h.dump())
	}
	free := func(addr string) {
		t.Helper()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the refused file left %s bound: %v", addr, err)
		}
		ln.Close()
	}
	free(newAddr)

	// Its template fixed, the file has a second listener whose address
	// another socket holds: refused when binding, nothing applied, and
	// the socket already opened for the first listener closed again.
	st.Clusters[0].Answers["503"] = "HTTP/1.1 503 Busy\r\nRetry-After: 1\r\n\r\nbusy"
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st.Listeners = append(st.Listeners, order.Listener{Protocol: order.HTTP, Address: held.Addr().String(), Active: true})
	r = h.Do(order.LoadState{Path: writeState(t, st)})
	if r.Status != order.StatusError || !strings.Contains(r.Message, "cannot listen") {
		t.Fatalf("load with an address taken: %s %q", r.Status, r.Message)
	}
	if h.dump() != before {
		t.Fatalf("the file refused at bind time changed the state:\n%s", h.dump())
	}
	free(newAddr)
	held.Close()
	st.Listeners = st.Listeners[:1]
	path := writeState(t, st)

	h.Must(order.LoadState{Path: path})
	req, _ := http.NewRequest("GET", "http://"+newAddr+"/", nil)
	req.Host = "fresh.test"
	resp, body := h.send(req)
	wantStatus(t, resp, body, 200)
	if body != "fresh /" {
		t.Errorf("served %q", body)
	}
	resp, body = h.get("app.test", "/")
	wantStatus(t, resp, body, 200)
}

// TestLoadStateVersion1: a version 1 file, whose https listener holds its
// default certificate, loads; the certificate is then listed as the
// listener's default, and a dump is version 2.
func TestLoadStateVersion1(t *testing.T) {
	h := startProxy(t, nil)
	ca := testcert.NewCA()
	def := ca.Leaf([]string{"default.test"}, testcert.Options{})
	addr := freeAddr(t)
	v1 := map[string]any{
		"version": 1,
		"listeners": []any{map[string]any{"protocol": "https", "address": addr, "active": true,
			"certificate": map[string]any{"certificate": def.Cert, "key": def.Key}}},
		"clusters": []any{}, "http_frontends": []any{}, "https_frontends": []any{}, "tcp_frontends": []any{},
		"backends": []any{}, "certificates": []any{},
	}
	h.Must(order.LoadState{Path: writeState(t, v1)})
	list := h.Must(order.ListCertificates{Address: addr}).Content.Certificates
	if len(list) != 1 || !list[0].Default || list[0].Names[0] != "default.test" {
		t.Fatalf("listed: %+v", list)
	}
	d := h.Must(order.DumpState{}).Content.State
	if d.Version != 2 || len(d.Certificates) != 1 || !d.Certificates[0].Default {
		t.Errorf("dump: version %d, certificates %+v", d.Version, d.Certificates)
	}
	for _, l := range d.Listeners {
		if l.Certificate != nil {
			t.Errorf("listener %s is dumped with its certificate", l.Address)
		}
	}
}
