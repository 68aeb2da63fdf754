package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"github.com/sluiceproxy/sluice/order"
)

// TestRestartKeepsRuntimeChanges (issue 14, defects 1 and 2): with
// saved_state, orders given at runtime survive a restart exactly: a
// backend removed does not come back from the file, a certificate
// replaced is not served next to its replacement; the file's objects are
// not applied over the saved state (the log says so), and `config check`
// warns about it instead of hiding a conflict that would stop the start.
func TestRestartKeepsRuntimeChanges(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA()
	old, repl := ca.Leaf([]string{"old.test"}, testcert.Options{}), ca.Leaf([]string{"new.test"}, testcert.Options{})
	for name, text := range map[string]string{"old.pem": old.Cert, "old.key": old.Key, "new.pem": repl.Cert, "new.key": repl.Key} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tlsAddr := freePort(t)
	extra := fmt.Sprintf("saved_state = \"state.json\"\n[[listeners]]\nprotocol = \"https\"\naddress = %q\n"+
		"certificate = \"old.pem\"\nkey = \"old.key\"\n", tlsAddr)
	a, b := origin(t), origin(t)
	d := start(t, dir, a, extra)
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d: %s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	fingerprints := func() []string {
		var resp order.Response
		if err := json.Unmarshal([]byte(run(0, "--json", "certificate", "list")), &resp); err != nil {
			t.Fatal(err)
		}
		var fps []string
		for _, c := range resp.Content.Certificates {
			fps = append(fps, c.Fingerprint)
		}
		return fps
	}
	oldFP := fingerprints()
	if len(oldFP) != 1 {
		t.Fatalf("certificates at start: %v", oldFP)
	}
	run(0, "backend", "add", "--cluster", "shop", "--id", "shop-2", "--address", b)
	run(0, "backend", "remove", "--cluster", "shop", "--id", "shop-1")
	run(0, "cluster", "update", "--id", "shop", "--sticky-session")
	run(0, "cluster", "add", "--id", "extra")
	run(0, "certificate", "replace", "--address", tlsAddr, "--old-fingerprint", oldFP[0],
		"--certificate", "new.pem", "--key", "new.key")
	before := run(0, "state", "dump", "--with-keys")
	run(0, "shutdown")
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, d.stderr)
	}

	// The file still names shop-1 and the old certificate: config check
	// warns that the saved state wins, and the start does not apply it.
	if _, errOut, code := cli(t, dir, "config", "check", "-c", "sluice.toml"); code != 0 ||
		!strings.Contains(errOut, "state.json exists: at start it is the state") {
		t.Errorf("config check: exit %d, %q", code, errOut)
	}
	d = start(t, dir, a, extra, d.front)
	// The log reaches d.stderr through a pipe and a copying goroutine: wait.
	testwait.For(t, "the start to say the saved state is the state", func() bool {
		return strings.Contains(d.stderr.String(), "the saved state is the state")
	})
	if after := run(0, "state", "dump", "--with-keys"); after != before {
		t.Errorf("the state after a restart differs:\nbefore %s\nafter  %s", before, after)
	}
	if fps := fingerprints(); len(fps) != 1 || fps[0] == oldFP[0] {
		t.Errorf("certificates after the restart: %v (the old one was %s)", fps, oldFP[0])
	}
	if code, body := get(t, "http://"+d.front+"/x"); code != 200 || body != "origin /x" {
		t.Errorf("traffic after the restart: %d %q", code, body)
	}
}

// TestReloadCommand: `sluice reload --dry-run` prints the batch and
// changes nothing; `sluice reload` makes the running configuration the
// file's (what was added at runtime goes, what changed in the file
// comes); a file whose objects do not hold together is refused whole.
func TestReloadCommand(t *testing.T) {
	dir := t.TempDir()
	start(t, dir, origin(t), "")
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, args...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d: %s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	run(0, "-s", "sluice.sock", "cluster", "add", "--id", "runtime")
	conf, err := os.ReadFile(filepath.Join(dir, "sluice.toml"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(dir, "sluice.toml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(string(conf) + "\n[clusters.filed]\n")
	before := run(0, "-s", "sluice.sock", "state", "dump")
	out := run(0, "-c", "sluice.toml", "reload", "--dry-run")
	if !strings.Contains(out, "would apply 2 orders") || !strings.Contains(out, "remove_cluster") ||
		!strings.Contains(out, "cluster filed") {
		t.Errorf("dry run:\n%s", out)
	}
	if now := run(0, "-s", "sluice.sock", "state", "dump"); now != before {
		t.Error("a dry run changed the state")
	}
	if out := run(0, "-c", "sluice.toml", "reload"); !strings.Contains(out, "applied 2 orders") {
		t.Errorf("reload:\n%s", out)
	}
	clusters := run(0, "-s", "sluice.sock", "cluster", "list")
	if !strings.Contains(clusters, "filed") || strings.Contains(clusters, "runtime") {
		t.Errorf("clusters after the reload:\n%s", clusters)
	}
	if out := run(0, "-c", "sluice.toml", "reload"); !strings.Contains(out, "nothing to do") {
		t.Errorf("a second reload:\n%s", out)
	}
	// A file whose frontend names a listener it does not have: refused
	// whole, nothing changes.
	write("command_socket = \"sluice.sock\"\n[clusters.x]\nfrontends = [ { address = \"127.0.0.1:1\", hostname = \"x\" } ]\n")
	before = run(0, "-s", "sluice.sock", "state", "dump")
	if _, errOut, code := cli(t, dir, "-c", "sluice.toml", "reload"); code == 0 || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Errorf("a file without the listener its frontend names: exit %d %s", code, errOut)
	}
	if now := run(0, "-s", "sluice.sock", "state", "dump"); now != before {
		t.Error("a refused reload changed the state")
	}
}

// TestStateLoadAllOrNothing (issue 14, defect 6): a state file with an
// answer template that does not compile between valid objects is refused
// whole, with the reason; nothing of it is applied.
func TestStateLoadAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	start(t, dir, origin(t), "")
	out, _, code := cli(t, dir, "-s", "sluice.sock", "--json", "state", "dump", "--with-keys")
	var resp order.Response
	if err := json.Unmarshal([]byte(out), &resp); code != 0 || err != nil {
		t.Fatalf("dump: %d %v", code, err)
	}
	st := resp.Content.State
	st.Clusters = append(st.Clusters,
		order.Cluster{ID: "first", Protocol: order.HTTP},
		order.Cluster{ID: "broken", Protocol: order.HTTP, Answers: map[string]string{"503": "HTTP/1.1 503 No\r\nno colon\r\n\r\n"}},
		order.Cluster{ID: "last", Protocol: order.HTTP})
	data, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _, _ := cli(t, dir, "-s", "sluice.sock", "state", "dump")
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "state", "load", "-f", "bad.json"); code != 1 ||
		!strings.Contains(errOut, "answers") {
		t.Errorf("state load: exit %d %s", code, errOut)
	}
	if after, _, _ := cli(t, dir, "-s", "sluice.sock", "state", "dump"); after != before {
		t.Errorf("a refused state load changed the state:\n%s\n%s", before, after)
	}
}
