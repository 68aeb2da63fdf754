package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluiceproxy/sluice/internal/handover"
	"github.com/sluiceproxy/sluice/internal/testcert"
)

// Binary upgrades (docs/upgrade.md), driven as an operator drives them:
// `sluice upgrade` or SIGUSR2 on a daemon under load, with a fake systemd
// listening on NOTIFY_SOCKET.

// upgradable is a daemon whose stderr is a file (the processes after an
// upgrade write to it too, so no pipe of the test's may wait for them) and
// whose every process is killed at the end.
type upgradable struct {
	dir, front string
	log        string
	first      *exec.Cmd
	done       chan error
	notes      *notifications
}

// startUpgradable writes a config with one http listener routing every
// host to backend, plus extra, and runs `sluice start` with NOTIFY_SOCKET
// set to a fake manager's socket.
func startUpgradable(t *testing.T, dir, backend, extra string) *upgradable {
	t.Helper()
	u := &upgradable{dir: dir, front: freePort(t), log: filepath.Join(dir, "sluice.log"), done: make(chan error, 1)}
	u.writeConfig(t, backend, extra)
	u.notes = fakeSystemd(t, filepath.Join(dir, "notify"))
	logf, err := os.Create(u.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	u.first = exec.Command(binary, "start", "-c", "sluice.toml")
	u.first.Dir, u.first.Stderr = dir, logf
	u.first.Env = append(os.Environ(), "NOTIFY_SOCKET="+filepath.Join(dir, "notify"))
	if err := u.first.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { u.done <- u.first.Wait() }()
	t.Cleanup(func() {
		killOurs(u.notes.pids()) // every process an upgrade started
		u.first.Process.Kill()
		<-u.done
	})
	u.waitPID(t, u.first.Process.Pid)
	return u
}

func (u *upgradable) writeConfig(t *testing.T, backend, extra string) {
	t.Helper()
	writeConfig(t, u.dir, u.front, backend, "access_log = \"off\"\n"+extra)
}

// pid is the pid the command socket's process reports (0 when none
// answers).
func (u *upgradable) pid(t *testing.T) int {
	t.Helper()
	out, _, code := cli(t, u.dir, "-s", "sluice.sock", "--json", "status")
	if code != 0 {
		return 0
	}
	i := strings.Index(out, `"pid": `)
	if i < 0 {
		t.Fatalf("status without a pid: %s", out)
	}
	n, _ := strconv.Atoi(strings.TrimRight(strings.Fields(out[i+7:])[0], ","))
	return n
}

// waitPID polls the status until pid answers it.
func (u *upgradable) waitPID(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for u.pid(t) != pid {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(u.log)
			t.Fatalf("pid %d does not answer on the command socket:\n%s", pid, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killOurs kills those of pids that still run this test's binary (a pid
// of a process gone may be another's by now).
func killOurs(pids []int) {
	for _, pid := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && strings.HasPrefix(string(b), binary) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// notifications is a fake service manager: the datagrams it got.
type notifications struct {
	mu   sync.Mutex
	msgs []string
}

func fakeSystemd(t *testing.T, path string) *notifications {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifications{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return n
}

func (n *notifications) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// wait polls until a message containing s has come, and returns them all.
func (n *notifications) wait(t *testing.T, s string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		all := n.all()
		for _, m := range all {
			if strings.Contains(m, s) {
				return all
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager never got %q; it got %q", s, all)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pids are the MAINPIDs announced.
func (n *notifications) pids() []int {
	var out []int
	for _, m := range n.all() {
		for _, l := range strings.Split(m, "\n") {
			if v, ok := strings.CutPrefix(l, "MAINPID="); ok {
				if p, err := strconv.Atoi(v); err == nil {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// load sends requests to addr until stop, half over keep-alive
// connections and half over a new connection each, and counts those that
// did not get a 200 (an http.Transport sends a request again on a new
// connection when the proxy closed an idle one first, as clients do).
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(addr string) *load {
	l := &load{stop: make(chan struct{})}
	for i := 0; i < 4; i++ {
		keep := i%2 == 0
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tr := &http.Transport{DisableKeepAlives: !keep}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for n := 0; n < 100000; n++ { // bounded; stop ends it long before
				select {
				case <-l.stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				resp, err := c.Get("http://" + addr + "/load")
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					l.errs = append(l.errs, err.Error())
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
			}
		}()
	}
	return l
}

// end stops the load and fails t if any request failed or none was sent.
func (l *load) end(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if l.failed.Load() > 0 || l.ok.Load() == 0 {
		t.Errorf("load: %d ok, %d failed: %q", l.ok.Load(), l.failed.Load(), l.errs)
	}
}

// TestUpgrade: under load, with runtime changes the configuration file
// does not have (an https listener with a certificate and its private
// key, a cluster), `sluice upgrade` and then SIGUSR2 each hand everything
// to a new process: no request fails, a request in flight at the upgrade
// finishes on the old process, the old process exits 0 without removing
// the command socket, the new one has the runtime changes and serves the
// https listener with the key handed over, and the manager follows the
// new pid (RELOADING, MAINPID, READY) and hears no STOPPING from an old
// process. A soft shutdown of the last one removes the socket and says
// STOPPING.
func TestUpgrade(t *testing.T) {
	dir := t.TempDir()
	u := startUpgradable(t, dir, origin(t), "")
	u.notes.wait(t, "READY=1")
	ca := testcert.NewCA()
	leaf := ca.Leaf([]string{"secure.test"}, testcert.Options{})
	os.WriteFile(filepath.Join(dir, "c.pem"), []byte(leaf.Cert), 0o600)
	os.WriteFile(filepath.Join(dir, "c.key"), []byte(leaf.Key), 0o600)
	tlsAddr := freePort(t)
	for _, args := range [][]string{
		{"listener", "https", "add", "--address", tlsAddr, "--certificate", "c.pem", "--key", "c.key"},
		{"frontend", "https", "add", "--address", tlsAddr, "--hostname", "*", "--cluster", "shop"},
		{"cluster", "add", "--id", "runtime-only"},
	} {
		if out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...); code != 0 {
			t.Fatalf("%v: %d %s%s", args, code, out, errOut)
		}
	}
	pool := ca.Pool
	httpsGet := func() {
		t.Helper()
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "secure.test"}}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", "https://"+tlsAddr+"/tls", nil)
		req.Host = "secure.test"
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("https: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "origin /tls" {
			t.Fatalf("https: %d %q", resp.StatusCode, b)
		}
	}
	httpsGet()

	l := startLoad(u.front)
	time.Sleep(200 * time.Millisecond)
	// A request in flight during the upgrade finishes on the old process.
	slow := make(chan string, 1)
	go func() {
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 20 * time.Second}).Get("http://" + u.front + "/slow?sleep=1500ms")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()
	time.Sleep(200 * time.Millisecond)

	out, errOut, code := cli(t, dir, "-s", "sluice.sock", "upgrade")
	if code != 0 || !strings.Contains(out, "upgraded: the new process (pid ") {
		b, _ := os.ReadFile(u.log)
		t.Fatalf("upgrade: exit %d\n%s%s\nlog:\n%s", code, out, errOut, b)
	}
	second := u.pid(t)
	if second == u.first.Process.Pid || second == 0 {
		t.Fatalf("after the upgrade the status says pid %d (the first was %d)", second, u.first.Process.Pid)
	}
	if got := <-slow; got != "200 origin /slow" {
		t.Fatalf("the request in flight during the upgrade: %s", got)
	}
	if code := (&runningProxy{done: u.done, stderr: &syncBuffer{}}).wait(t); code != 0 {
		t.Fatalf("the old process exited %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "sluice.sock")); err != nil {
		t.Fatalf("the old process removed the command socket: %v", err)
	}
	out, _, _ = cli(t, dir, "-s", "sluice.sock", "cluster", "list")
	if !strings.Contains(out, "runtime-only") {
		t.Fatalf("the new process lacks the runtime change:\n%s", out)
	}
	httpsGet()
	notes := u.notes.wait(t, fmt.Sprintf("MAINPID=%d\nREADY=1", second))
	if !strings.Contains(strings.Join(notes, "|"), "RELOADING=1") {
		t.Errorf("no RELOADING=1 before the upgrade: %q", notes)
	}

	// SIGUSR2 upgrades the new process to the same binary.
	syscall.Kill(second, syscall.SIGUSR2)
	u.notes.wait(t, "READY=1\nSTATUS=serving (took over from pid "+strconv.Itoa(second))
	third := u.pid(t)
	if third == second || third == 0 {
		t.Fatalf("SIGUSR2: pid %d, was %d", third, second)
	}
	httpsGet()
	l.end(t)
	for _, m := range u.notes.all() {
		if strings.Contains(m, "STOPPING=1") {
			t.Fatalf("an old process told the manager it stops: %q", u.notes.all())
		}
	}

	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "shutdown"); code != 0 {
		t.Fatalf("shutdown: %d %s", code, errOut)
	}
	u.notes.wait(t, "STOPPING=1")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "sluice.sock")); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the last process left the command socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile(u.log)
	if !strings.Contains(string(b), "sluice started: took over from the old process") {
		t.Errorf("log:\n%s", b)
	}
}

// TestUpgradeFailures: a binary that exits at once, one that never says
// it serves, and the real binary with a configuration file that no longer
// loads: each upgrade fails with the new process's own words, the old
// process serves on (no request of the load fails, orders apply) and is
// the one the manager follows; then a good upgrade still works.
func TestUpgradeFailures(t *testing.T) {
	dir := t.TempDir()
	u := startUpgradable(t, dir, origin(t), "")
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exits := script("exits.sh", `echo "boom: this binary cannot start" >&2; exit 3`)
	hangs := script("hangs.sh", `echo "starting, slowly" >&2; exec sleep 60`)
	l := startLoad(u.front)
	first := u.first.Process.Pid
	upgrade := func(want string, args ...string) {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock", "upgrade"}, args...)...)
		if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "serves on") {
			t.Fatalf("upgrade %v: exit %d, want 1 and %q\n%s%s", args, code, want, out, errOut)
		}
		if p := u.pid(t); p != first {
			t.Fatalf("after a failed upgrade pid %d answers, want %d", p, first)
		}
		if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "cluster", "add", "--id", "c"+strconv.Itoa(len(args))); code != 0 {
			t.Fatalf("an order after a failed upgrade: %d %s", code, errOut)
		}
	}
	upgrade("boom: this binary cannot start", "--binary", exits)
	upgrade("exit status 3", "--binary", exits)
	start := time.Now()
	upgrade("did not confirm within 1s", "--binary", hangs, "--timeout", "1s")
	if time.Since(start) > 8*time.Second {
		t.Errorf("the timed-out upgrade took %v", time.Since(start))
	}
	upgrade("starting, slowly", "--binary", hangs, "--timeout", "500ms")
	os.WriteFile(filepath.Join(dir, "sluice.toml"), []byte("command_socket = \"sluice.sock\"\nfront_timeout = \"soon\"\n"), 0o644)
	upgrade(`"soon" is not a duration`)
	u.writeConfig(t, "127.0.0.1:1", "") // loads again (its objects are not used)
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "upgrade"); code != 0 {
		t.Fatalf("the good upgrade after the failures: %d %s", code, errOut)
	}
	if p := u.pid(t); p == first {
		t.Fatal("the good upgrade left the first process answering")
	}
	l.end(t)
	if out, _, _ := cli(t, dir, "-s", "sluice.sock", "cluster", "list"); !strings.Contains(out, "c4") || !strings.Contains(out, "shop") {
		t.Fatalf("the state after the upgrades:\n%s", out)
	}
}

// TestSocketActivation starts sluice as systemd does for a .socket unit:
// the listener's socket is descriptor 3 with LISTEN_PID (sh's $$, kept by
// exec), LISTEN_FDS and LISTEN_FDNAMES. A connection made before the
// proxy started is served; the listener can be deactivated and activated
// again (the manager's socket is kept, not bound anew); an upgrade carries
// the socket over.
func TestSocketActivation(t *testing.T) {
	dir := t.TempDir()
	u := &upgradable{dir: dir, log: filepath.Join(dir, "sluice.log"), done: make(chan error, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.front = ln.Addr().String()
	f, _ := ln.(*net.TCPListener).File()
	ln.Close()
	u.writeConfig(t, origin(t), "")
	early, err := net.Dial("tcp", u.front) // waits in the socket's backlog
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	u.notes = fakeSystemd(t, filepath.Join(dir, "notify"))
	logf, _ := os.Create(u.log)
	u.first = exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" start -c sluice.toml`, binary)
	u.first.Dir, u.first.Stderr, u.first.ExtraFiles = dir, logf, []*os.File{f}
	u.first.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=web", "NOTIFY_SOCKET="+filepath.Join(dir, "notify"))
	if err := u.first.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	f.Close()
	go func() { u.done <- u.first.Wait() }()
	t.Cleanup(func() {
		killOurs(u.notes.pids())
		u.first.Process.Kill()
		<-u.done
	})
	u.waitPID(t, u.first.Process.Pid)
	fmt.Fprintf(early, "GET /early HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	early.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(early)
	if !strings.HasPrefix(string(b), "HTTP/1.1 200") || !strings.HasSuffix(string(b), "origin /early") {
		t.Fatalf("the connection made before the start: %q", b)
	}
	cycle := func() {
		t.Helper()
		for _, verb := range []string{"deactivate", "activate"} {
			if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "listener", verb, "--address", u.front); code != 0 {
				t.Fatalf("listener %s: %d %s", verb, code, errOut)
			}
		}
		if code, body := get(t, "http://"+u.front+"/again"); code != 200 || body != "origin /again" {
			t.Fatalf("after deactivate and activate: %d %q", code, body)
		}
	}
	cycle()
	if _, errOut, code := cli(t, dir, "-s", "sluice.sock", "upgrade"); code != 0 {
		t.Fatalf("upgrade: %d %s", code, errOut)
	}
	cycle()
	logb, _ := os.ReadFile(u.log)
	if !strings.Contains(string(logb), "socket activation") || strings.Contains(string(logb), "no listener uses is closed") {
		t.Fatalf("log:\n%s", logb)
	}
}

// TestTakeOverBadPeer: a process started as the new process of an upgrade
// whose peer sends garbage, or a state it cannot load, stops with a clear
// error and changes nothing: it neither binds the configuration's
// listener nor creates the command socket.
func TestTakeOverBadPeer(t *testing.T) {
	dir := t.TempDir()
	u := &upgradable{dir: dir, front: freePort(t)}
	u.writeConfig(t, "127.0.0.1:1", "")
	untouched := func() {
		t.Helper()
		if _, err := os.Lstat(filepath.Join(dir, "sluice.sock")); !os.IsNotExist(err) {
			t.Fatalf("the command socket was created: %v", err)
		}
		ln, err := net.Listen("tcp", u.front)
		if err != nil {
			t.Fatalf("the listener's address was bound: %v", err)
		}
		ln.Close()
	}

	// Garbage on the handover socket.
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	mine, theirs := os.NewFile(uintptr(pair[0]), "mine"), os.NewFile(uintptr(pair[1]), "theirs")
	defer mine.Close()
	cmd := exec.Command(binary, "start", "-c", "sluice.toml")
	cmd.Dir, cmd.ExtraFiles = dir, []*os.File{theirs}
	cmd.Env = append(os.Environ(), handover.EnvFD+"=3")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	theirs.Close()
	mine.Write([]byte("\x00\x00\x00\x0cHELLO WORLD!"))
	if err := cmd.Wait(); err == nil || !strings.Contains(errb.String(), "not a handover message") {
		t.Fatalf("garbage: %v\n%s", err, errb.String())
	}
	untouched()

	// A state of an unknown version: the peer hears why.
	cmd = exec.Command(binary, "start", "-c", "sluice.toml")
	cmd.Dir = dir
	errb.Reset()
	cmd.Stderr = &errb
	conn, err := handover.Spawn(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cs, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "other.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	cf, _ := cs.File()
	defer cf.Close()
	offer := handover.Offer{PID: os.Getpid(), Deadline: time.Now().Add(10 * time.Second).UnixMilli(),
		State: []byte(`{"version":99}`), CommandSocket: filepath.Join(dir, "other.sock")}
	if err := conn.SendOffer(offer, nil, int(cf.Fd()), int(os.Stderr.Fd())); err != nil {
		t.Fatal(err)
	}
	var pe *handover.PeerError
	if err := conn.Expect(handover.Ready, time.Now().Add(10*time.Second)); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "state version 99") {
		t.Fatalf("a state of version 99: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the process went on")
	}
	untouched()
}
