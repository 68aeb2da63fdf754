package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// TestEventsAndHealth: `sluice events --json` streams a backend's drain and
// its health check taking it down; `backend list --json` shows the health;
// `cluster add` sets a health check from flags; an interrupted `events`
// exits 0.
func TestEventsAndHealth(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "")
	ev := exec.Command(binary, "-s", "sluice.sock", "--json", "events")
	ev.Dir = dir
	stdout, err := ev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := ev.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(kind order.EventKind) order.Event {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("events ended before %s", kind)
				}
				var e order.Event
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("events line %q: %v", l, err)
				}
				if e.Kind == kind {
					return e
				}
			case <-timeout:
				t.Fatalf("no %s event:\n%s", kind, d.stderr)
			}
		}
	}
	// The subscription is in place once it says so on stderr.
	if l, err := bufio.NewReader(stderr).ReadString('\n'); err != nil || l != "subscribed to events\n" {
		t.Fatalf("events said %q, %v", l, err)
	}
	// A drained event proves the stream works end to end.
	dead := freePort(t)
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "backend", "add", "--cluster", "shop", "--id", "gone", "--address", dead); code != 0 {
		t.Fatalf("backend add: %d %s", code, errOut)
	}
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "backend", "remove", "--cluster", "shop", "--id", "gone"); code != 0 {
		t.Fatalf("backend remove: %d %s", code, errOut)
	}
	if e := next(order.BackendDrained); e.ClusterID != "shop" || e.BackendID != "gone" || e.Address != dead {
		t.Fatalf("drained event %+v", e)
	}

	// An add for the existing cluster with other settings is refused and
	// names the update; the update adds a health check from flags, and a
	// backend fails it.
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "cluster", "add", "--id", "shop",
		"--health-check", "tcp"); code != 1 || !strings.Contains(errOut, "update_cluster") {
		t.Fatalf("cluster add over an existing cluster: %d %s", code, errOut)
	}
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "cluster", "update", "--id", "shop",
		"--health-check", "tcp", "--health-check-interval", "100ms", "--health-check-fall", "1"); code != 0 {
		t.Fatalf("cluster update with a check: %d %s", code, errOut)
	}
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "backend", "add", "--cluster", "shop", "--id", "dead", "--address", dead); code != 0 {
		t.Fatalf("backend add: %d %s", code, errOut)
	}
	if e := next(order.BackendDown); e.BackendID != "dead" || e.Reason != "health check" {
		t.Fatalf("down event %+v", e)
	}
	out, _, code := cli(t, dir, "-s", "sluice.sock", "--json", "backend", "list", "--cluster", "shop")
	if code != 0 {
		t.Fatalf("backend list: %d", code)
	}
	var resp order.Response
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	health := map[string]string{}
	for _, b := range resp.Content.Backends {
		health[b.ID] = b.Health + "/" + b.Check
	}
	if health["dead"] != "down/failed" || health["shop-1"] != "up/ok" {
		t.Fatalf("backend health %v", health)
	}
	human, _, _ := cli(t, dir, "-s", "sluice.sock", "cluster", "list")
	if !strings.Contains(human, "tcp every 100ms") {
		t.Fatalf("cluster list does not show the check:\n%s", human)
	}

	ev.Process.Signal(os.Interrupt)
	if err := ev.Wait(); err != nil {
		t.Fatalf("interrupted events: %v", err)
	}
}
