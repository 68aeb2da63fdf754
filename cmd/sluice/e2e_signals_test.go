package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// TestSIGHUPDoesNotKill: SIGHUP reloads: it is logged, the file is read
// again and its objects applied (nothing when they are the running ones);
// a file with errors is reported and changes nothing; the daemon keeps
// serving either way.
func TestSIGHUPDoesNotKill(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "")
	logged := func(what string, n int) func() bool {
		return func() bool { return strings.Count(d.stderr.String(), what) >= n }
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	testwait.For(t, "the reload logged", logged(`level=INFO msg="reload requested" signal=hangup`, 1))
	testwait.For(t, "the reload's outcome logged", logged(`msg="reload applied"`, 1))
	if !strings.Contains(d.stderr.String(), "orders=0") {
		t.Errorf("a reload of the file the proxy started from applied orders:\n%s", d.stderr)
	}
	if _, stderr, code := cli(t, dir, "-s", "sluice.sock", "status"); code != 0 {
		t.Fatalf("status after SIGHUP: exit %d %s\n%s", code, stderr, d.stderr)
	}
	// An object added to the file comes with the next SIGHUP.
	conf, err := os.ReadFile(filepath.Join(dir, "sluice.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sluice.toml"), append(conf, "\n[clusters.more]\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	testwait.For(t, "the second reload applied", logged(`msg="reload applied"`, 2))
	if out, _, _ := cli(t, dir, "-s", "sluice.sock", "cluster", "list"); !strings.Contains(out, "more") {
		t.Errorf("the cluster added to the file is not there after SIGHUP:\n%s", out)
	}
	before, _, _ := cli(t, dir, "-s", "sluice.sock", "state", "dump")
	// A file with errors: reported, nothing changes.
	if err := os.WriteFile(filepath.Join(dir, "sluice.toml"), []byte("command_socket = \"sluice.sock\"\nlog_level = \"loud\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	testwait.For(t, "the failed reload logged", logged(`level=ERROR msg="reload failed`, 1))
	if !strings.Contains(d.stderr.String(), "sluice.toml:2:13") {
		t.Errorf("the failed reload does not name the error's place:\n%s", d.stderr)
	}
	after, _, code := cli(t, dir, "-s", "sluice.sock", "state", "dump")
	if code != 0 || after != before {
		t.Fatalf("the state changed after a failed reload (exit %d):\n%s\n%s", code, before, after)
	}
	d.cmd.Process.Signal(syscall.SIGINT)
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit code %d after SIGINT\n%s", code, d.stderr)
	}
	if _, err := os.Lstat(filepath.Join(dir, "sluice.sock")); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}

// TestSocketRemovedOnEveryExit: the command socket file is gone after a
// soft and a hard shutdown order, SIGTERM, SIGINT, and a start that fails.
func TestSocketRemovedOnEveryExit(t *testing.T) {
	stops := map[string]func(t *testing.T, d *runningProxy){
		"shutdown": func(t *testing.T, d *runningProxy) { cli(t, d.dir, "-s", "sluice.sock", "shutdown") },
		"shutdown --hard": func(t *testing.T, d *runningProxy) {
			cli(t, d.dir, "-s", "sluice.sock", "shutdown", "--hard")
		},
		"SIGTERM": func(t *testing.T, d *runningProxy) { d.cmd.Process.Signal(syscall.SIGTERM) },
		"SIGINT":  func(t *testing.T, d *runningProxy) { d.cmd.Process.Signal(syscall.SIGINT) },
	}
	be := origin(t)
	for name, stop := range stops {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			d := start(t, dir, be, "")
			stop(t, d)
			if code := d.wait(t); code != 0 {
				t.Fatalf("exit code %d\n%s", code, d.stderr)
			}
			if _, err := os.Lstat(filepath.Join(dir, "sluice.sock")); !os.IsNotExist(err) {
				t.Errorf("socket left behind: %v", err)
			}
		})
	}
	t.Run("a start that fails", func(t *testing.T) {
		dir := t.TempDir()
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		conf := "command_socket = \"sluice.sock\"\n[[listeners]]\nprotocol = \"http\"\naddress = \"" + taken.Addr().String() + "\"\n"
		if err := os.WriteFile(filepath.Join(dir, "sluice.toml"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := cli(t, dir, "start", "-c", "sluice.toml")
		if code != exitRefused || !strings.Contains(stderr, "cannot listen") {
			t.Fatalf("start on a taken address: exit %d %s", code, stderr)
		}
		if _, err := os.Lstat(filepath.Join(dir, "sluice.sock")); !os.IsNotExist(err) {
			t.Errorf("socket left behind: %v", err)
		}
	})
}
