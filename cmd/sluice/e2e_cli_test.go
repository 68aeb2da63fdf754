package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/proxy"
)

// TestUnknownSubcommandExits2: an unknown command under any group is a
// usage error (exit 2, the reason on stderr), as is a group given no
// command; nothing is sent to a proxy (none runs here).
func TestUnknownSubcommandExits2(t *testing.T) {
	dir := t.TempDir()
	groups := [][]string{{}, {"state"}, {"listener"}, {"listener", "http"}, {"listener", "https"}, {"listener", "tcp"},
		{"cluster"}, {"backend"}, {"frontend"}, {"frontend", "http"}, {"frontend", "https"}, {"frontend", "tcp"},
		{"certificate"}, {"config"}}
	for _, g := range groups {
		args := append(append([]string{}, g...), "frobnicate")
		out, stderr, code := cli(t, dir, append([]string{"-s", "none.sock"}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, `unknown command "frobnicate"`) {
			t.Errorf("sluice %s: exit %d, stdout %q, stderr %q; want 2 and the unknown command named",
				strings.Join(args, " "), code, out, stderr)
		}
		if len(g) == 0 {
			continue
		}
		out, stderr, code = cli(t, dir, append([]string{"-s", "none.sock"}, g...)...)
		if code != exitUsage || !strings.Contains(stderr, "needs a command") {
			t.Errorf("sluice %s: exit %d, stdout %q, stderr %q; want 2 and the missing command named",
				strings.Join(g, " "), code, out, stderr)
		}
	}
}

// TestVersion: `sluice version` and `sluice --version` print the proxy's
// version and the Go version it was built with, and exit 0.
func TestVersion(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, stderr, code := cli(t, dir, args...)
		if code != 0 || !strings.Contains(out, proxy.Version) || !strings.Contains(out, runtime.Version()) {
			t.Errorf("sluice %s: exit %d, stdout %q, stderr %q; want 0, %s and %s", args[0], code, out, stderr,
				proxy.Version, runtime.Version())
		}
	}
	out, _, code := cli(t, dir, "version", "--json")
	if code != 0 || !strings.Contains(out, `"version": "`+proxy.Version+`"`) || !strings.Contains(out, `"go": "`+runtime.Version()+`"`) {
		t.Errorf("sluice version --json: exit %d, %s", code, out)
	}
}

// TestClientReadsOnlyTheSocketKey: `sluice -c FILE ORDER` reaches the proxy
// when FILE has errors in keys other than command_socket (even a syntax
// error below the top-level keys), so that a broken file never keeps an
// operator from `shutdown --hard`; an error in command_socket itself is
// still a usage error (exit 2).
func TestClientReadsOnlyTheSocketKey(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "")
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bad-values.toml", `command_socket = "sluice.sock"
log_level = "loud"
colour = "blue"
[[listeners]]
protocol = "carrier-pigeon"
address = "nowhere"
`)
	write("bad-syntax.toml", "command_socket = \"sluice.sock\"\nback_timeout = \"30s\"\n[[listeners]\nprotocol = \n")
	for _, f := range []string{"bad-values.toml", "bad-syntax.toml"} {
		if _, stderr, code := cli(t, dir, "config", "check", "-c", f); code != exitUsage {
			t.Fatalf("config check -c %s: exit %d %s; the file was meant to be bad", f, code, stderr)
		}
		if out, stderr, code := cli(t, dir, "-c", f, "status"); code != 0 || !strings.Contains(out, "version") {
			t.Errorf("-c %s status: exit %d, stdout %q, stderr %q; want 0", f, code, out, stderr)
		}
	}
	for name, text := range map[string]string{
		"wrong type": "command_socket = 7\n",
		"empty":      "command_socket = \"\"\n",
		"twice":      "command_socket = \"sluice.sock\"\ncommand_socket = \"other.sock\"\n",
		"syntax":     "log_level = \ncommand_socket = \"sluice.sock\"\n",
	} {
		write("bad-socket.toml", text)
		if _, stderr, code := cli(t, dir, "-c", "bad-socket.toml", "status"); code != exitUsage || !strings.Contains(stderr, "bad-socket.toml:") {
			t.Errorf("%s: -c status: exit %d, stderr %q; want 2 naming the file and line", name, code, stderr)
		}
	}
	if _, stderr, code := cli(t, dir, "-c", "bad-syntax.toml", "shutdown", "--hard"); code != 0 {
		t.Fatalf("-c bad-syntax.toml shutdown --hard: exit %d %s", code, stderr)
	}
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit code %d\n%s", code, d.stderr)
	}
}
