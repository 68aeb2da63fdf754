package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
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
