package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestUpdateCommands: the update commands change only what their flags
// give, at once; a weight of 0 is a usage error; answers come from files.
func TestUpdateCommands(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "")
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("%s: exit %d, want %d: %s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	dump := func() *order.State {
		t.Helper()
		var resp order.Response
		if err := json.Unmarshal([]byte(run(0, "--json", "state", "dump")), &resp); err != nil || resp.Content == nil {
			t.Fatalf("state dump: %v", err)
		}
		return resp.Content.State
	}
	backendOf := func(st *order.State, id string) order.Backend {
		for _, b := range st.Backends {
			if b.ID == id {
				return b
			}
		}
		t.Fatalf("no backend %s", id)
		return order.Backend{}
	}
	clusterOf := func(st *order.State) order.Cluster {
		for _, c := range st.Clusters {
			if c.ID == "shop" {
				return c
			}
		}
		t.Fatal("no cluster shop")
		return order.Cluster{}
	}

	run(0, "cluster", "update", "--id", "shop", "--sticky-session")
	run(0, "cluster", "update", "--id", "shop", "--load-balancing", "least_loaded")
	if c := clusterOf(dump()); !c.StickySession || c.LoadBalancing != order.LeastLoaded {
		t.Errorf("after two updates: %+v", c)
	}
	run(0, "cluster", "update", "--id", "shop", "--sticky-session=false")
	if c := clusterOf(dump()); c.StickySession || c.LoadBalancing != order.LeastLoaded {
		t.Errorf("sticky off: %+v", c)
	}

	id := dump().Backends[0].ID
	run(0, "backend", "update", "--cluster", "shop", "--id", id, "--weight", "7", "--backup")
	if b := backendOf(dump(), id); b.Weight != 7 || !b.Backup {
		t.Errorf("after update: %+v", b)
	}
	run(0, "backend", "update", "--cluster", "shop", "--id", id, "--no-backup")
	if b := backendOf(dump(), id); b.Weight != 7 || b.Backup {
		t.Errorf("after --no-backup: %+v", b)
	}
	if out := run(2, "backend", "update", "--cluster", "shop", "--id", id, "--weight", "0"); !strings.Contains(out, "1..1000") {
		t.Errorf("weight 0: %s", out)
	}
	if out := run(2, "backend", "add", "--cluster", "shop", "--id", "x", "--address", "127.0.0.1:9", "--weight", "0"); !strings.Contains(out, "1..1000") {
		t.Errorf("add with weight 0: %s", out)
	}

	page := filepath.Join(dir, "404.html")
	if err := os.WriteFile(page, []byte("<p>nothing for %REQUEST_ID</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(0, "listener", "update", "--address", d.front, "--answer", "404="+page, "--request-timeout", "7s")
	run(0, "frontend", "http", "update", "--address", d.front, "--hostname", "*", "--deny")
	if code, body := get(t, "http://"+d.front+"/x"); code != 403 {
		t.Errorf("after frontend update to deny: %d %q", code, body)
	}
	run(0, "frontend", "http", "remove", "--address", d.front, "--hostname", "*")
	if code, body := get(t, "http://"+d.front+"/x"); code != 404 || !strings.Contains(body, "<p>nothing for ") {
		t.Errorf("the listener's own 404: %d %q", code, body)
	}
	if l := dump().Listeners[0]; l.RequestTimeout.String() != "7s" || l.Answers["404"] == "" {
		t.Errorf("listener after update: %+v", l)
	}
}
