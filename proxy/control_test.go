package proxy

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testport"
	"github.com/sluiceproxy/sluice/order"
)

func startProxy(t *testing.T, cfg Config) (*Client, func() error) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	client, end := NewChannel(16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, end) }()
	stopped := false
	wait := func() error {
		if stopped {
			return nil
		}
		stopped = true
		err := <-done
		cancel()
		return err
	}
	t.Cleanup(func() { cancel(); wait() })
	return client, wait
}

func do(t *testing.T, c *Client, o order.Order) order.Response {
	t.Helper()
	r, err := c.Do(context.Background(), o)
	if err != nil {
		t.Fatalf("%s: %v", o.Kind(), err)
	}
	return r
}

func ok(t *testing.T, c *Client, o order.Order) order.Response {
	t.Helper()
	r := do(t, c, o)
	if r.Status != order.StatusOK {
		t.Fatalf("%s: %s %s", o.Kind(), r.Status, r.Message)
	}
	return r
}

// freeAddr returns a loopback address nobody listens on right now, below
// the ephemeral range (see package testport).
func freeAddr(t *testing.T) string { return testport.Free(t) }

func dumpJSON(t *testing.T, c *Client) string {
	b, _ := json.Marshal(ok(t, c, order.DumpState{}).Content.State)
	return string(b)
}

// TestStateSaveLoadRoundTrip: save, load into a fresh proxy, dump: equal;
// the file is private; a bad file changes nothing.
func TestStateSaveLoadRoundTrip(t *testing.T) {
	addr := freeAddr(t)
	a, waitA := startProxy(t, Config{})
	for _, o := range []order.Order{
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: addr, Active: true}},
		order.AddListener{Listener: order.Listener{Protocol: order.HTTPS, Address: "127.0.0.1:1"}},
		order.AddCluster{Cluster: order.Cluster{ID: "shop", LoadBalancing: order.Random}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "shop.example.com", Path: "/api", ClusterID: "shop"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "s1", Address: "127.0.0.1:3000", Weight: 7}},
	} {
		ok(t, a, o)
	}
	file := filepath.Join(t.TempDir(), "state.json")
	ok(t, a, order.SaveState{Path: file})
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	want := dumpJSON(t, a)
	ok(t, a, order.Shutdown{})
	if err := waitA(); err != nil { // its listener must be closed before b binds it
		t.Fatal(err)
	}

	b, _ := startProxy(t, Config{})
	ok(t, b, order.LoadState{Path: file})
	if got := dumpJSON(t, b); got != want {
		t.Fatalf("round trip differs:\nsaved  %s\nloaded %s", want, got)
	}
	// Loading it again is a no-op.
	ok(t, b, order.LoadState{Path: file})
	if got := dumpJSON(t, b); got != want {
		t.Fatalf("second load changed the state")
	}

	// A conflicting file changes nothing.
	var st order.State
	data, _ := os.ReadFile(file)
	json.Unmarshal(data, &st)
	st.Clusters = append(st.Clusters, order.Cluster{ID: "new"})
	st.Backends[0].Weight = 9 // conflicts with the loaded backend
	bad, _ := json.Marshal(st)
	badFile := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(badFile, bad, 0o600)
	if r := do(t, b, order.LoadState{Path: badFile}); r.Status != order.StatusError || !strings.Contains(r.Message, "backend") {
		t.Fatalf("conflicting load: %+v", r)
	}
	if got := dumpJSON(t, b); got != want {
		t.Fatalf("failed load changed the state:\n%s", got)
	}
	os.WriteFile(badFile, []byte(`{"version":99}`), 0o600)
	if r := do(t, b, order.LoadState{Path: badFile}); r.Status != order.StatusError || !strings.Contains(r.Message, "version") {
		t.Fatalf("wrong version: %+v", r)
	}
	if r := do(t, b, order.LoadState{Path: filepath.Join(t.TempDir(), "missing.json")}); r.Status != order.StatusError {
		t.Fatalf("missing file: %+v", r)
	}
}

func TestShutdownOrderStopsRun(t *testing.T) {
	for _, hard := range []bool{false, true} {
		c, wait := startProxy(t, Config{})
		ok(t, c, order.Shutdown{Hard: hard})
		if err := wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(context.Background(), order.Status{}); err == nil {
			t.Fatal("stopped proxy answered")
		}
	}
}

func TestLoggingOrder(t *testing.T) {
	var lv slog.LevelVar
	c, _ := startProxy(t, Config{LogLevel: &lv})
	ok(t, c, order.SetLogLevel{Level: "debug"})
	if lv.Level() != slog.LevelDebug {
		t.Fatalf("level %v", lv.Level())
	}
	if r := do(t, c, order.SetLogLevel{Level: "loud"}); r.Status != order.StatusError || !strings.Contains(r.Message, "level") {
		t.Fatalf("bad level: %+v", r)
	}
	fixed, _ := startProxy(t, Config{})
	if r := do(t, fixed, order.SetLogLevel{Level: "debug"}); r.Status != order.StatusError {
		t.Fatalf("fixed level changed: %+v", r)
	}
}
