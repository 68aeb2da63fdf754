package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
)

// fakeTerminal is the terminal `sluice top` draws on in the tests: a
// terminal emulator (x/vt) fed with what the program writes, as a tty
// would (a newline goes out as CR LF), whose answers to the program's
// queries, and the keys the test types, are the program's input.
type fakeTerminal struct {
	mu sync.Mutex
	em *vt.Emulator

	in      *io.PipeReader // the program's input
	keys    *io.PipeWriter
	stopped atomic.Bool
	replies sync.WaitGroup
}

func newFakeTerminal(t *testing.T, w, h int) *fakeTerminal {
	f := &fakeTerminal{em: vt.NewEmulator(w, h)}
	f.in, f.keys = io.Pipe()
	f.replies.Go(func() {
		buf := make([]byte, 256)
		for {
			n, err := f.em.Read(buf)
			if err != nil || f.stopped.Load() {
				return
			}
			f.keys.Write(buf[:n]) // fails once the input is closed: the reply is dropped
		}
	})
	t.Cleanup(func() {
		// The emulator's Read and Close are not safe together: end the
		// reader first, with a reply it reads and drops (Operating
		// Status, CSI 5 n), then close.
		f.in.Close()
		f.stopped.Store(true)
		f.Write([]byte("\x1b[5n"))
		f.replies.Wait()
		f.em.Close()
	})
	return f
}

func (f *fakeTerminal) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.em.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n")))
	return len(p), nil
}

// screen is the text on the screen now, a line per row.
func (f *fakeTerminal) screen() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.em.String()
}

// typ types keys as a terminal sends them: "\r" is Enter, "\x7f"
// Backspace.
func (f *fakeTerminal) typ(t *testing.T, keys string) {
	t.Helper()
	if _, err := io.WriteString(f.keys, keys); err != nil {
		t.Fatal(err)
	}
}

// waitScreen waits until cond holds for the screen (10 s at most).
func (f *fakeTerminal) waitScreen(t *testing.T, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := f.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// row returns the fields of the screen's first line whose first field is
// name, and its line number (-1: none).
func row(screen, name string) ([]string, int) {
	for i, l := range strings.Split(screen, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return f, i
		}
	}
	return nil, -1
}

func above(a, b string) func(string) bool {
	return func(s string) bool {
		_, i := row(s, a)
		_, j := row(s, b)
		return i >= 0 && j >= 0 && i < j
	}
}

// TestTopAgainstADaemon runs `sluice top` (the command, in process) on a
// fake 80×24 terminal against a live daemon with two clusters and
// traffic: the screen shows the clusters with their req/s, the keys sort,
// filter and drill in, a daemon that stops shows DISCONNECTED and one that
// starts again is found, and q quits.
func TestTopAgainstADaemon(t *testing.T) {
	dir := t.TempDir()
	shopOrigin, apiOrigin := origin(t), origin(t)
	d := start(t, dir, shopOrigin, "")
	for _, args := range [][]string{
		{"cluster", "add", "--id", "api"},
		{"frontend", "http", "add", "--address", d.front, "--hostname", "api", "--cluster", "api"},
		{"backend", "add", "--cluster", "api", "--id", "api-1", "--address", apiOrigin},
	} {
		if _, stderr, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}

	// Traffic: shop four times as busy as api, until the test ends (20 s
	// and 8000 requests at most).
	ctx, stopTraffic := context.WithCancel(context.Background())
	var traffic sync.WaitGroup
	t.Cleanup(func() { stopTraffic(); traffic.Wait() })
	traffic.Go(func() {
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; i < 8000 && ctx.Err() == nil && time.Now().Before(deadline); i++ {
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+d.front+"/", nil)
			if i%4 == 0 {
				req.Host = "api"
			}
			if resp, err := c.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			} else {
				time.Sleep(50 * time.Millisecond) // the daemon restarts
			}
			time.Sleep(3 * time.Millisecond)
		}
	})

	term := newFakeTerminal(t, 80, 24)
	cmd := root()
	cmd.SetArgs([]string{"-s", filepath.Join(dir, "sluice.sock"), "top", "--interval", "250ms"})
	cmd.SetIn(term.in)
	cmd.SetOut(term)
	cmd.SetErr(io.Discard)
	runCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(runCtx) }()
	defer func() {
		select {
		case <-done:
		default:
			cancel()
			<-done
		}
	}()

	// Both clusters, shop the busier, sorted by req/s: shop first.
	busy := func(name string) func(string) bool {
		return func(s string) bool {
			f, _ := row(s, name)
			if len(f) < 2 {
				return false
			}
			r, err := strconv.ParseFloat(f[1], 64)
			return err == nil && r > 0
		}
	}
	term.waitScreen(t, "shop and api with req/s > 0", func(s string) bool {
		return busy("shop")(s) && busy("api")(s) && strings.Contains(s, "sort req/s desc")
	})
	s := term.waitScreen(t, "shop above api", above("shop", "api"))
	if !strings.Contains(s, "CLUSTER") || !strings.Contains(s, "REQ/S") || !strings.Contains(s, "P99") {
		t.Fatalf("no column header:\n%s", s)
	}
	if f, _ := row(s, "shop"); len(f) != 8 || f[7] != "1/1" {
		t.Errorf("shop's row %q", f)
	}

	// Sort by name (n), then by name backwards (n again).
	term.typ(t, "n")
	term.waitScreen(t, "sorted by name: api above shop", func(s string) bool {
		return strings.Contains(s, "sort name asc") && above("api", "shop")(s)
	})
	term.typ(t, "n")
	term.waitScreen(t, "sorted by name backwards", func(s string) bool {
		return strings.Contains(s, "sort name desc") && above("shop", "api")(s)
	})

	// Filter: type "api": only api; delete it: both again.
	term.typ(t, "/api\r")
	term.waitScreen(t, "only api", func(s string) bool {
		_, shop := row(s, "shop")
		_, api := row(s, "api")
		return strings.Contains(s, "filter: api") && shop < 0 && api >= 0
	})
	term.typ(t, "/\x7f\x7f\x7f\r")
	term.waitScreen(t, "the filter gone", func(s string) bool {
		_, shop := row(s, "shop")
		return !strings.Contains(s, "filter:") && shop >= 0
	})

	// Drill into shop: its backend, address, health and weight.
	term.typ(t, "/shop\r\r")
	s = term.waitScreen(t, "shop's backends", func(s string) bool {
		f, _ := row(s, "shop-1")
		return strings.Contains(s, "cluster shop") && strings.Contains(s, "BACKEND") && len(f) == 8
	})
	if f, _ := row(s, "shop-1"); f[1] != shopOrigin || f[2] != "up" || f[3] != "100" {
		t.Errorf("shop-1's row %q, want its address %s, up, weight 100", f, shopOrigin)
	}
	if f, _ := row(s, "api-1"); f != nil {
		t.Errorf("api's backend in shop's view: %q", f)
	}
	term.typ(t, "h")
	term.waitScreen(t, "back to the clusters", func(s string) bool {
		return strings.Contains(s, "clusters  sort") && above("shop", "api")(s)
	})

	// The daemon stops: DISCONNECTED, the last figures kept; it starts
	// again on the same socket: found again.
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(t); code != 0 {
		t.Fatalf("the daemon exited %d", code)
	}
	term.waitScreen(t, "DISCONNECTED", func(s string) bool {
		_, shop := row(s, "shop")
		return strings.Contains(s, "DISCONNECTED") && strings.Contains(s, "(stale)") && shop >= 0
	})
	start(t, dir, shopOrigin, "", d.front)
	term.waitScreen(t, "connected again", func(s string) bool {
		return !strings.Contains(s, "DISCONNECTED") && busy("shop")(s)
	})

	term.typ(t, "q")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("top: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("q did not quit; the screen:\n%s", term.screen())
	}
	done <- nil // for the deferred check

	// --once: one screen as plain text, for scripts; the usual exit codes.
	out, stderr, code := cli(t, dir, "-s", "sluice.sock", "top", "--once", "--interval", "100ms", "--width", "100", "--height", "8")
	if f, _ := row(out, "shop"); code != 0 || len(f) != 8 || strings.Count(out, "\n") != 8 || strings.Contains(out, "\x1b") {
		t.Errorf("top --once: exit %d %s\n%s", code, stderr, out)
	}
	if _, stderr, code := cli(t, dir, "-s", "none.sock", "top", "--once"); code != exitUnreachable || !strings.Contains(stderr, "none.sock") {
		t.Errorf("top --once without a proxy: exit %d %s", code, stderr)
	}
	if _, stderr, code := cli(t, dir, "-s", "sluice.sock", "top", "--interval", "1ms"); code != exitUsage || !strings.Contains(stderr, "--interval") {
		t.Errorf("top --interval 1ms: exit %d %s", code, stderr)
	}
}
