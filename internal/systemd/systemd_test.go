package systemd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeManager listens where NOTIFY_SOCKET points, as systemd does, and
// returns the messages it gets.
func fakeManager(t *testing.T, name string) <-chan string {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	got := make(chan string, 10)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	return got
}

func receive(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case m := <-got:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the manager got nothing")
		return ""
	}
}

// TestNotify: each message arrives whole as one datagram, on a socket path
// and on an abstract socket; unset, nothing is sent and nothing fails; a
// manager that is gone is an error.
func TestNotify(t *testing.T) {
	got := fakeManager(t, filepath.Join(t.TempDir(), "notify"))
	for _, m := range []string{"READY=1", "MAINPID=42\nREADY=1", "STOPPING=1"} {
		if err := Notify(m); err != nil {
			t.Fatal(err)
		}
		if r := receive(t, got); r != m {
			t.Fatalf("manager got %q, want %q", r, m)
		}
	}
	r := Reloading()
	if err := Notify(r); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, got); !strings.HasPrefix(m, "RELOADING=1\nMONOTONIC_USEC=") || len(m) < len("RELOADING=1\nMONOTONIC_USEC=1") {
		t.Fatalf("reloading: %q", m)
	}

	abstract := fmt.Sprintf("@sluice-test-%d", os.Getpid())
	got = fakeManager(t, abstract)
	if err := Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, got); m != "READY=1" {
		t.Fatalf("abstract: %q", m)
	}

	t.Setenv("NOTIFY_SOCKET", "")
	if err := Notify("READY=1"); err != nil {
		t.Fatalf("unset: %v", err)
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	if err := Notify("READY=1"); err == nil {
		t.Fatal("no manager, no error")
	}
	t.Setenv("NOTIFY_SOCKET", "relative")
	if err := Notify("READY=1"); err == nil {
		t.Fatal("a relative NOTIFY_SOCKET accepted")
	}
}

// TestListenersVariables: what the variables say, checked before any
// descriptor is touched.
func TestListenersVariables(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	if s, err := listeners(env(), 10); s != nil || err != nil {
		t.Fatalf("unset: %v %v", s, err)
	}
	if s, err := listeners(env("LISTEN_PID", "11", "LISTEN_FDS", "1"), 10); s != nil || err != nil {
		t.Fatalf("another process's: %v %v", s, err)
	}
	for _, bad := range [][]string{
		{"LISTEN_PID", "x", "LISTEN_FDS", "1"},
		{"LISTEN_PID", "10", "LISTEN_FDS", "-1"},
		{"LISTEN_PID", "10", "LISTEN_FDS", "two"},
		{"LISTEN_PID", "10", "LISTEN_FDS", "2", "LISTEN_FDNAMES", "a"},
	} {
		if _, err := listeners(env(bad...), 10); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestListeners runs this test binary as systemd would start a service:
// LISTEN_PID set to the process's own id (sh's $$, kept by exec), two
// sockets as descriptors 3 and 4, named. The child takes them, accepts a
// connection on each and says what it found.
func TestListeners(t *testing.T) {
	if os.Getenv("SYSTEMD_TEST_CHILD") == "1" {
		listenersChild()
		return
	}
	var files []*os.File
	var addrs []string
	for i := 0; i < 2; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		files = append(files, f)
		addrs = append(addrs, ln.Addr().String())
	}
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" -test.run=^TestListeners$`, os.Args[0])
	cmd.Env = append(os.Environ(), "SYSTEMD_TEST_CHILD=1", "LISTEN_FDS=2", "LISTEN_FDNAMES=web:unknown")
	cmd.ExtraFiles = files
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		f.Close()
	}
	for _, a := range addrs {
		c, err := net.Dial("tcp", a)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	b := make([]byte, 4096)
	n, _ := readAll(out, b)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v: %s", err, b[:n])
	}
	want := fmt.Sprintf("web %s accepted\n %s accepted\nenv unset\n", addrs[0], addrs[1])
	if got := string(b[:n]); !strings.Contains(got, want) {
		t.Fatalf("child said:\n%s\nwant:\n%s", got, want)
	}
}

func readAll(r interface{ Read([]byte) (int, error) }, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func listenersChild() {
	socks, err := Listeners()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for _, s := range socks {
		ln, err := net.FileListener(s.File)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
		c, err := ln.Accept()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		c.Close()
		fmt.Printf("%s %s accepted\n", s.Name, ln.Addr())
	}
	if os.Getenv("LISTEN_FDS") == "" && os.Getenv("LISTEN_PID") == "" {
		fmt.Println("env unset")
	}
}
