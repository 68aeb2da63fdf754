package command_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// answering serves s with a handler that answers every order with who.
func answering(t *testing.T, s *command.Server, who string) chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(func(context.Context, order.Order, command.Progress) order.Response {
			return order.Response{Status: order.StatusOK, Message: who}
		})
	}()
	return done
}

func ask(t *testing.T, c *command.Client) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.Do(ctx, order.Status{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.Message
}

// TestHandOver: the old server's socket, duplicated and inherited by a new
// server, serves the same path. Once the old one detaches, new clients
// reach the new one while a client connected before is still answered by
// the old one; closing the old server leaves the path, closing the new
// one removes it.
func TestHandOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	old, err := command.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	oldDone := answering(t, old, "old")
	early, err := command.Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if got := ask(t, early); got != "old" {
		t.Fatalf("before: %q", got)
	}

	fd, err := old.Dup()
	if err != nil {
		t.Fatal(err)
	}
	nw, err := command.Inherit(path, os.NewFile(uintptr(fd), "command"))
	if err != nil {
		t.Fatal(err)
	}
	newDone := answering(t, nw, "new")
	old.Detach()
	if err := <-oldDone; err != nil {
		t.Fatalf("the detached server's Serve: %v", err)
	}
	for i := 0; i < 5; i++ {
		c, err := command.Dial(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := ask(t, c); got != "new" {
			t.Fatalf("a client after the detach reached %q", got)
		}
		c.Close()
	}
	if got := ask(t, early); got != "old" {
		t.Fatalf("the early client: %q", got)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the old server removed the path it handed over: %v", err)
	}
	c, err := command.Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := ask(t, c); got != "new" {
		t.Fatalf("after the old one closed: %q", got)
	}
	c.Close()
	nw.Close()
	if err := <-newDone; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("the new server left its path: %v", err)
	}
}

// TestInheritBad: a descriptor that is not a listening unix socket, or a
// path that is not a socket, is refused and the descriptor closed.
func TestInheritBad(t *testing.T) {
	dir := t.TempDir()
	s, err := command.Listen(filepath.Join(dir, "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fd, err := s.Dup()
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, nil, 0o600)
	if _, err := command.Inherit(plain, os.NewFile(uintptr(fd), "command")); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("a plain file as the path: %v", err)
	}
	f, _ := os.Open(plain)
	if _, err := command.Inherit(filepath.Join(dir, "s.sock"), f); err == nil {
		t.Fatal("a regular file as the socket")
	}
}
