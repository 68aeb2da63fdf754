package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	// The listener's default certificate is a certificate of the state
	// (listed with the others, marked default): the listener itself
	// carries none, so only the dump has keys to show.
	if out, _ := run(0, "--json", "listener", "list", "--with-keys"); keys(out) != 0 {
		t.Errorf("listener list --with-keys: %d keys, want none", keys(out))
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

// opensslFingerprint writes a fingerprint as `openssl x509 -fingerprint
// -sha256` does: upper-case pairs joined by colons.
func opensslFingerprint(hexFP string) string {
	var pairs []string
	for i := 0; i < len(hexFP); i += 2 {
		pairs = append(pairs, strings.ToUpper(hexFP[i:i+2]))
	}
	return strings.Join(pairs, ":")
}

// TestOpenSSLFingerprints: certificate replace and remove take a
// fingerprint as openssl prints it (AB:CD:...), from the CLI and on the
// socket; garbage is still refused (by the CLI before sending; on the
// socket it matches no certificate).
func TestOpenSSLFingerprints(t *testing.T) {
	dir := t.TempDir()
	start(t, dir, origin(t), "")
	ca := testcert.NewCA()
	one := ca.Leaf([]string{"one.test"}, testcert.Options{})
	two := ca.Leaf([]string{"two.test"}, testcert.Options{})
	for name, text := range map[string]string{"one.pem": one.Cert, "one.key": one.Key, "two.pem": two.Cert, "two.key": two.Key} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fp := func(l testcert.Leaf) string {
		s := sha256.Sum256(l.X509.Raw)
		return hex.EncodeToString(s[:])
	}
	addr := freePort(t)
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	run(0, "listener", "https", "add", "--address", addr)
	run(0, "certificate", "add", "--address", addr, "--certificate", "one.pem", "--key", "one.key")
	run(0, "certificate", "replace", "--address", addr, "--old-fingerprint", opensslFingerprint(fp(one)),
		"--certificate", "two.pem", "--key", "two.key")
	if out := run(0, "certificate", "list"); !strings.Contains(out, fp(two)) || strings.Contains(out, fp(one)) {
		t.Fatalf("after replace:\n%s", out)
	}
	run(0, "certificate", "remove", "--address", addr, "--fingerprint", "SHA256 Fingerprint="+opensslFingerprint(fp(two)))
	if out := run(0, "certificate", "list"); strings.Contains(out, fp(two)) {
		t.Fatalf("after remove:\n%s", out)
	}
	if out := run(2, "certificate", "remove", "--address", addr, "--fingerprint", "AB:CD"); !strings.Contains(out, "not a SHA-256 fingerprint") {
		t.Errorf("a garbage fingerprint: %s", out)
	}

	// On the socket.
	run(0, "certificate", "add", "--address", addr, "--certificate", "one.pem", "--key", "one.key")
	c, err := net.Dial("unix", filepath.Join(dir, "sluice.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, `{"id":"f1","kind":"remove_certificate","order":{"address":%q,"fingerprint":%q}}`+"\n", addr, opensslFingerprint(fp(one)))
	fmt.Fprintf(c, `{"id":"f2","kind":"remove_certificate","order":{"address":%q,"fingerprint":"zz:zz"}}`+"\n", addr)
	r := bufio.NewReader(c)
	for _, want := range []string{`{"id":"f1","status":"ok"}`, `"status":"error","message":"certificate.fingerprint: no certificate zz:zz on`} {
		line, err := r.ReadString('\n')
		if err != nil || !strings.Contains(line, want) {
			t.Errorf("answer %q, %v; want %s", line, err, want)
		}
	}
}
