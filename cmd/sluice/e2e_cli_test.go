package main

import (
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
