package command_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// staleSocket leaves a socket file at path that nothing accepts on, as a
// proxy that was killed does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("stale socket: %v %v", fi, err)
	}
}

func TestListenMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.sock")
	srv, err := command.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	// Only the socket is left in the directory: the temporary one is gone.
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the socket", len(ents))
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file after Close: %v", err)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.sock")
	staleSocket(t, path)
	srv, err := command.Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(fake) }()
	defer func() {
		srv.Close()
		<-served
	}()
	c, err := command.Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Do(context.Background(), order.Status{}, nil)
	if err != nil || resp.Status != order.StatusOK {
		t.Fatalf("the new socket does not serve: %+v %v", resp, err)
	}
}

func TestListenRefusesLiveSocket(t *testing.T) {
	srv := start(t, fake)
	_, err := command.Listen(srv.Path())
	if err == nil || !strings.Contains(err.Error(), "another proxy is running on "+srv.Path()) {
		t.Fatalf("Listen on a live socket: %v", err)
	}
	// The running server is untouched.
	c, err := command.Dial(srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if resp, err := c.Do(context.Background(), order.Status{}, nil); err != nil || resp.Status != order.StatusOK {
		t.Fatalf("the running server after a refused Listen: %+v %v", resp, err)
	}
}

func TestListenKeepsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sluice.sock")
	if err := os.WriteFile(file, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, sub} {
		_, err := command.Listen(path)
		if err == nil || !strings.Contains(err.Error(), "exists and is not a socket") {
			t.Errorf("Listen on %s: %v", path, err)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "precious" {
		t.Errorf("the regular file after Listen: %q %v", b, err)
	}
	if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
		t.Errorf("the directory after Listen: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("directory holds %d entries, want 2", len(ents))
	}
}

func TestListenBadPlaces(t *testing.T) {
	dir := t.TempDir()
	if _, err := command.Listen(filepath.Join(dir, "missing", "s.sock")); err == nil {
		t.Error("Listen in a missing directory succeeded")
	}
	long := filepath.Join(dir, strings.Repeat("x", 100)+".sock")
	if _, err := command.Listen(long); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("Listen on a %d-byte path: %v", len(long), err)
	}
}

// TestCloseKeepsReplacedFile: Close removes the socket only if it is still
// the one Listen made.
func TestCloseKeepsReplacedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.sock")
	srv, err := command.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "mine" {
		t.Errorf("after Close: %q %v", b, err)
	}
}

func TestDialUnreachable(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	staleSocket(t, stale)
	regular := filepath.Join(dir, "file")
	os.WriteFile(regular, nil, 0o600)
	for _, path := range []string{filepath.Join(dir, "missing.sock"), stale, regular} {
		c, err := command.Dial(path)
		if !errors.Is(err, command.ErrUnreachable) {
			t.Errorf("Dial(%s) = %v, %v; want ErrUnreachable", path, c, err)
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("the error does not name the path: %v", err)
		}
		t.Log(err)
	}
}
