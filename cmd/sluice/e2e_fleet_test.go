package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/etcdtest"
	"github.com/sluiceproxy/sluice/order"
)

// TestFleetCLI drives fleet mode as an operator would: the file's objects
// pushed into an embedded etcd, `sluice start` following it, a change with
// sluice fleet set served, bad writes refused before etcd, a stale push
// refused, the instance listed by sluice fleet status and its state in
// sluice status and the metrics.
func TestFleetCLI(t *testing.T) {
	e, err := etcdtest.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	dir := t.TempDir()
	prom := freePort(t)
	extra := fmt.Sprintf("[metrics]\nprometheus_address = %q\n[provider.etcd]\nendpoints = [%q]\nprefix = \"/e2e/\"\ninstance_id = \"edge-1\"\n",
		prom, e.Endpoint())
	backend, other := origin(t), namedOrigin(t, "other")
	front := freePort(t)
	writeConfig(t, dir, front, backend, extra)

	out, errOut, code := cli(t, dir, "-c", "sluice.toml", "fleet", "push")
	if code != 0 || !strings.Contains(out, "written at revision") {
		t.Fatalf("push: %d %s %s", code, out, errOut)
	}
	out, _, code = cli(t, dir, "-c", "sluice.toml", "fleet", "push")
	if code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("push again: %d %s", code, out)
	}
	d := start(t, dir, backend, extra, front)

	// A change with fleet set: a cluster, its backend, a frontend to it.
	for _, args := range [][]string{
		{"cluster", "other", `{}`},
		{"backend", "other/o1", fmt.Sprintf(`{"address":%q}`, other)},
		{"frontend", "api", fmt.Sprintf(`{"address":%q,"hostname":"api.test","path":"/v2","cluster_id":"other"}`, front)},
	} {
		if out, errOut, code := cli(t, dir, append([]string{"-c", "sluice.toml", "fleet", "set"}, args...)...); code != 0 {
			t.Fatalf("set %v: %d %s %s", args, code, out, errOut)
		}
	}
	waitServed(t, front, "api.test", "/v2/x", "other /v2/x", other)

	// Refused before etcd: not JSON (usage), a frontend to a missing cluster.
	if _, errOut, code := cli(t, dir, "-c", "sluice.toml", "fleet", "set", "cluster", "c", `{"x":`); code != 2 || !strings.Contains(errOut, "not JSON") {
		t.Fatalf("bad JSON: %d %s", code, errOut)
	}
	_, errOut, code = cli(t, dir, "-c", "sluice.toml", "fleet", "set", "frontend", "bad",
		fmt.Sprintf(`{"address":%q,"hostname":"b.test","cluster_id":"nope"}`, front))
	if code != 1 || !strings.Contains(errOut, "the fleet would refuse it") || !strings.Contains(errOut, "/e2e/state/frontends/bad") {
		t.Fatalf("frontend to a missing cluster: %d %s", code, errOut)
	}
	// A push based on an old revision is refused: the fleet changed since.
	if _, errOut, code := cli(t, dir, "-c", "sluice.toml", "fleet", "push", "--revision", "2"); code != 1 ||
		!strings.Contains(errOut, "changed since the revision") {
		t.Fatalf("stale push: %d %s", code, errOut)
	}
	// The file pushed again removes what fleet set added.
	if out, errOut, code := cli(t, dir, "-c", "sluice.toml", "fleet", "push", "--dry-run"); code != 0 ||
		!strings.Contains(out, "delete  /e2e/state/frontends/api") {
		t.Fatalf("dry run: %d %s %s", code, out, errOut)
	}

	// sluice fleet status lists the instance, caught up.
	var listing struct {
		Latest    int64 `json:"latest"`
		Instances []struct {
			ID       string `json:"id"`
			Revision int64  `json:"revision"`
			Behind   int64  `json:"behind"`
			Health   string `json:"health"`
		} `json:"instances"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, errOut, code := cli(t, dir, "-c", "sluice.toml", "--json", "fleet", "status")
		if code != 0 || json.Unmarshal([]byte(out), &listing) != nil {
			t.Fatalf("fleet status: %d %s %s", code, out, errOut)
		}
		if len(listing.Instances) == 1 && listing.Instances[0].Behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet status: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if in := listing.Instances[0]; in.ID != "edge-1" || in.Health != "ok" {
		t.Fatalf("instance %+v", in)
	}
	out, _, _ = cli(t, dir, "-c", "sluice.toml", "fleet", "status")
	if !strings.Contains(out, "edge-1") || !strings.Contains(out, "BEHIND") {
		t.Fatalf("fleet status:\n%s", out)
	}

	// sluice status and the metrics tell how the instance follows etcd.
	out, _, code = cli(t, dir, "-c", "sluice.toml", "--json", "status")
	var resp order.Response
	if code != 0 || json.Unmarshal([]byte(out), &resp) != nil || resp.Content.Status.Fleet == nil {
		t.Fatalf("status: %d %s", code, out)
	}
	if f := resp.Content.Status.Fleet; !f.Connected || f.Revision < listing.Instances[0].Revision || f.Error != "" {
		t.Fatalf("fleet status %+v", f)
	}
	out, _, _ = cli(t, dir, "-c", "sluice.toml", "status")
	if !strings.Contains(out, "fleet: etcd reachable") {
		t.Fatalf("status:\n%s", out)
	}
	_, body := get(t, "http://"+prom+"/metrics")
	if !strings.Contains(body, "sluice_fleet_connected 1") || !strings.Contains(body, `sluice_fleet_revisions_total{result="applied"}`) {
		t.Fatalf("metrics lack the fleet's:\n%s", body)
	}
	// A reload of the file is refused: the configuration is etcd's.
	if _, errOut, code := cli(t, dir, "-c", "sluice.toml", "reload"); code != 1 || !strings.Contains(errOut, "fleet mode") {
		t.Fatalf("reload: %d %s", code, errOut)
	}
	_ = d
}

// namedOrigin is an HTTP server answering its name and the path.
func namedOrigin(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", name, r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// waitServed asks front for host and path until the answer is want (from
// the origin at addr), for at most 10 s.
func waitServed(t *testing.T, front, host, path, want, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+front+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) == want {
				http.DefaultClient.CloseIdleConnections()
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%s on %s is not served by %s", host, path, front, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
