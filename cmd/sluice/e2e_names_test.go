package main

import (
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestHostNameAddresses: listeners accept a host name (bound to its first
// address: "localhost" is 127.0.0.1 here) and ":PORT" (every interface;
// added inactive here, so that nothing binds beyond loopback); backends
// accept a host name, resolved when added; garbage is still refused. The
// address as written is the listener's key.
func TestHostNameAddresses(t *testing.T) {
	dir := t.TempDir()
	start(t, dir, origin(t), "")
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	_, port, _ := net.SplitHostPort(freePort(t))
	named := "localhost:" + port
	run(0, "listener", "http", "add", "--address", named)
	run(0, "cluster", "add", "--id", "api")
	run(0, "frontend", "http", "add", "--address", named, "--hostname", "*", "--cluster", "api")
	// Another spelling of the address is another listener: none here.
	run(1, "frontend", "http", "add", "--address", "127.0.0.1:"+port, "--hostname", "*", "--cluster", "shop")
	// Only the address as written names the listener; binding both fails.
	if out := run(1, "listener", "http", "add", "--address", "127.0.0.1:"+port); !strings.Contains(out, "cannot listen") {
		t.Errorf("a second listener on the same socket: %s", out)
	}
	_, other, _ := net.SplitHostPort(freePort(t))
	run(0, "listener", "http", "add", "--address", ":"+other, "--inactive")
	out := run(0, "--json", "listener", "list")
	var resp order.Response
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, l := range resp.Content.Listeners {
		addrs = append(addrs, l.Address)
	}
	if !strings.Contains(strings.Join(addrs, " "), named) || !slices.Contains(addrs, ":"+other) {
		t.Errorf("listeners %v", addrs)
	}

	// A backend named by host.
	be := origin(t)
	_, bePort, _ := net.SplitHostPort(be)
	run(0, "backend", "add", "--cluster", "api", "--id", "api-1", "--address", "localhost:"+bePort)
	if code, body := get(t, "http://127.0.0.1:"+port+"/n"); code != 200 || body != "origin /n" {
		t.Fatalf("through the named listener to the named backend: %d %q", code, body)
	}
	if out := run(0, "--json", "backend", "list", "--cluster", "api"); !strings.Contains(out, `"127.0.0.1:`+bePort+`"`) {
		t.Errorf("the resolved address is not listed:\n%s", out)
	}

	for _, bad := range []string{"local host:80", "-x:80", "localhost", "localhost:0", "1.2.3.4.5:80", ":80"} {
		if out := run(2, "backend", "add", "--cluster", "api", "--id", "bad", "--address", bad); !strings.Contains(out, "backend.address") {
			t.Errorf("backend address %q: %s", bad, out)
		}
	}
	for _, bad := range []string{"local host:80", "localhost", ":0", "[::1:80"} {
		if out := run(2, "listener", "http", "add", "--address", bad); !strings.Contains(out, "listener.address") {
			t.Errorf("listener address %q: %s", bad, out)
		}
	}
}
