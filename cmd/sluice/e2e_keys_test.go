package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
)

// TestNoPrivateKeyPrintedWithoutWithKeys: no list, dump or query prints a
// private key unless --with-keys is given; `state save` still writes them
// (a saved state must load), and a dump without keys is refused by `state
// load` with a clear error rather than loaded without its certificates.
func TestNoPrivateKeyPrintedWithoutWithKeys(t *testing.T) {
	dir := t.TempDir()
	start(t, dir, origin(t), "")
	ca := testcert.NewCA()
	def := ca.Leaf([]string{"default.test"}, testcert.Options{})
	shop := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	for name, text := range map[string]string{"def.pem": def.Cert, "def.key": def.Key, "shop.pem": shop.Cert, "shop.key": shop.Key} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := freePort(t)
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out, errOut
	}
	run(0, "listener", "https", "add", "--address", addr, "--certificate", "def.pem", "--key", "def.key")
	run(0, "certificate", "add", "--address", addr, "--certificate", "shop.pem", "--key", "shop.key")
	keys := func(out string) int { return strings.Count(out, "PRIVATE KEY-----") / 2 }

	for _, args := range [][]string{
		{"listener", "list"}, {"--json", "listener", "list"},
		{"state", "dump"}, {"--json", "state", "dump"},
		{"certificate", "list"}, {"--json", "certificate", "list"},
		{"--json", "status"}, {"--json", "cluster", "list"}, {"--json", "frontend", "list"}, {"--json", "backend", "list"},
	} {
		if out, _ := run(0, args...); keys(out) != 0 {
			t.Errorf("sluice %s prints %d private keys:\n%s", strings.Join(args, " "), keys(out), out)
		}
	}
	if out, _ := run(0, "--json", "listener", "list", "--with-keys"); keys(out) != 1 {
		t.Errorf("listener list --with-keys: %d keys, want the default certificate's", keys(out))
	}
	if out, _ := run(0, "state", "dump", "--with-keys"); keys(out) != 2 {
		t.Errorf("state dump --with-keys: %d keys, want 2", keys(out))
	}

	// state save writes the keys; its file loads.
	run(0, "state", "save", "-f", "saved.json")
	saved, err := os.ReadFile(filepath.Join(dir, "saved.json"))
	if err != nil || keys(string(saved)) != 2 {
		t.Fatalf("saved state: %d keys, %v", keys(string(saved)), err)
	}
	run(0, "state", "load", "-f", "saved.json")
	// A dump without keys is marked, and refused by state load.
	dump, _ := run(0, "state", "dump")
	if !strings.Contains(dump, `"keys_omitted": true`) {
		t.Errorf("a dump without keys is not marked:\n%s", dump)
	}
	if err := os.WriteFile(filepath.Join(dir, "dump.json"), []byte(dump), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut := run(1, "state", "load", "-f", "dump.json"); !strings.Contains(errOut, "without its private keys") {
		t.Errorf("state load of a dump without keys: %s", errOut)
	}
	// A dump with keys is a state file like a saved one.
	full, _ := run(0, "state", "dump", "--with-keys")
	if err := os.WriteFile(filepath.Join(dir, "full.json"), []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	run(0, "state", "load", "-f", "full.json")
}
