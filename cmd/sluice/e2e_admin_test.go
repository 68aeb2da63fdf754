package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// TestAdminFlag: `sluice start --admin-address` serves the admin API on a
// loopback address without a token, and refuses to start on every
// interface without one (exit 1, the reason on stderr, nothing left).
func TestAdminFlag(t *testing.T) {
	dir := t.TempDir()
	admin := freePort(t)
	writeConfig(t, dir, freePort(t), origin(t), "")
	cmd := exec.Command(binary, "start", "-c", "sluice.toml", "--admin-address", "0.0.0.0:"+strings.Split(admin, ":")[1])
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "is not a loopback address: set token_file or token_env") {
		t.Fatalf("start on every interface without a token: %v\n%s", err, out)
	}

	d := &runningProxy{dir: dir, stderr: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd = exec.Command(binary, "start", "-c", "sluice.toml", "--admin-address", admin)
	d.cmd.Dir = dir
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.done
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, code := cli(t, dir, "-s", "sluice.sock", "status"); code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice did not start:\n%s", d.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := get(t, "http://"+admin+"/api/clusters"); code != 200 || !strings.Contains(body, `"id":"shop"`) {
		t.Errorf("GET /api/clusters: %d %s", code, body)
	}
	if !strings.Contains(d.stderr.String(), "serving the admin API") {
		t.Errorf("log:\n%s", d.stderr)
	}
}

// TestUpgradeKeepsAdmin: a binary upgrade hands the admin API's socket to
// the new process, which answers on it (its pid in /api/status) from the
// moment the upgrade is answered; the connection refused window is none.
func TestUpgradeKeepsAdmin(t *testing.T) {
	dir := t.TempDir()
	admin := freePort(t)
	u := startUpgradable(t, dir, origin(t), fmt.Sprintf("[admin]\naddress = %q\n", admin))
	pid := func() int {
		code, body := get(t, "http://"+admin+"/api/status")
		if code != 200 {
			t.Fatalf("GET /api/status: %d %s", code, body)
		}
		var resp order.Response
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatal(err)
		}
		return resp.Content.Status.PID
	}
	first := u.first.Process.Pid
	if p := pid(); p != first {
		t.Fatalf("pid %d, want %d", p, first)
	}
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "upgrade"); code != 0 {
		b, _ := os.ReadFile(u.log)
		t.Fatalf("upgrade: %d %s\n%s", code, errOut, b)
	}
	// From the upgrade's answer on, every connection is the new
	// process's: none is refused or told by the old one that it handed
	// over.
	for i := 0; i < 20; i++ {
		if p := pid(); p == first {
			t.Fatalf("request %d after the upgrade answered by the old process (pid %d)", i, p)
		}
	}
}
