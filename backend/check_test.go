package backend

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
)

// rawServer answers every connection with reply (nil: never answers).
func rawServer(t *testing.T, reply []byte) string {
	t.Helper()
	addr, accepted := server(t)
	go func() {
		for c := range accepted {
			if reply != nil {
				c.Write(reply)
				c.Close()
			}
		}
	}()
	return addr
}

func TestProbe(t *testing.T) {
	var status atomic.Int64
	status.Store(200)
	var gotPath, gotHost, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotHost, gotUA = r.URL.Path, r.Host, r.UserAgent()
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	ctx := context.Background()
	httpCheck := order.HealthCheck{Path: "/healthz", Host: "app.test"}

	if err := Probe(ctx, addr, httpCheck, time.Second); err != nil {
		t.Fatalf("healthy http: %v", err)
	}
	if gotPath != "/healthz" || gotHost != "app.test" || gotUA != "sluice-health-check" {
		t.Fatalf("request: path %q host %q ua %q", gotPath, gotHost, gotUA)
	}
	if err := Probe(ctx, addr, order.HealthCheck{}, time.Second); err != nil || gotPath != "/" || gotHost != addr {
		t.Fatalf("defaults: %v, path %q host %q", err, gotPath, gotHost)
	}
	status.Store(503)
	if err := Probe(ctx, addr, httpCheck, time.Second); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("503: %v", err)
	}
	status.Store(301)
	if err := Probe(ctx, addr, httpCheck, time.Second); err != nil {
		t.Fatalf("a 3xx is healthy by default: %v", err)
	}
	if err := Probe(ctx, addr, order.HealthCheck{ExpectedStatus: 204}, time.Second); err == nil {
		t.Fatal("301 passed a check expecting 204")
	}
	status.Store(204)
	if err := Probe(ctx, addr, order.HealthCheck{ExpectedStatus: 204}, time.Second); err != nil {
		t.Fatalf("204 expected: %v", err)
	}

	if err := Probe(ctx, addr, order.HealthCheck{Type: order.CheckTCP}, time.Second); err != nil {
		t.Fatalf("tcp to a listener: %v", err)
	}
	if err := Probe(ctx, closedAddr(t), order.HealthCheck{Type: order.CheckTCP}, time.Second); err == nil {
		t.Fatal("tcp to a closed port passed")
	}

	interim := rawServer(t, []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	if err := Probe(ctx, interim, order.HealthCheck{}, time.Second); err != nil {
		t.Fatalf("100 then 200: %v", err)
	}
	garbage := rawServer(t, []byte("SSH-2.0-OpenSSH_9.2\r\n\r\n"))
	if err := Probe(ctx, garbage, order.HealthCheck{}, time.Second); err == nil {
		t.Fatal("a non-HTTP answer passed")
	}
	closes := rawServer(t, []byte{})
	if err := Probe(ctx, closes, order.HealthCheck{}, time.Second); err == nil {
		t.Fatal("a server closing at once passed")
	}
	silent := rawServer(t, nil)
	start := time.Now()
	if err := Probe(ctx, silent, order.HealthCheck{}, 200*time.Millisecond); err == nil {
		t.Fatal("a silent server passed")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("silent server: probe took %v with a 200ms timeout", d)
	}
}

// TestCheckRunner: with a check every 30 ms (fall 2, rise 2), a backend
// whose check fails goes down and is skipped, and comes back when it
// passes again; removing the check releases a backend it held down.
func TestCheckRunner(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" && !healthy.Load() {
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	events := make(chan order.Event, 100)
	env := &Env{Events: func(e order.Event) { events <- e }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hc := &order.HealthCheck{Path: "/health", Interval: order.Duration(30 * time.Millisecond),
		Timeout: order.Duration(time.Second), Rise: 2, Fall: 2}
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c", HealthCheck: hc}}, env)
	defer c.Close()
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "flaky", Address: srv.Listener.Addr().String()}, 4))
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "steady", Address: other.Listener.Addr().String()}, 4))
	flaky := c.Backends()[0]

	waitEvent := func(kind order.EventKind) order.Event {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case e := <-events:
				if e.Kind == kind {
					return e
				}
			case <-timeout:
				t.Fatalf("no %s event", kind)
			}
		}
	}
	waitCheck := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, _, check := flaky.HealthInfo(); check == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("check result never %q", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitCheck("ok")
	healthy.Store(false)
	e := waitEvent(order.BackendDown)
	if e.BackendID != "flaky" || e.Reason != "health check" || e.ClusterID != "c" {
		t.Fatalf("down event %+v", e)
	}
	for range 20 {
		if b := pick(c, nil); b == flaky {
			t.Fatal("picked a backend its check holds down")
		}
	}
	healthy.Store(true)
	if e := waitEvent(order.BackendUp); e.BackendID != "flaky" {
		t.Fatalf("up event %+v", e)
	}
	// Down again, then the check is removed: the backend is released.
	healthy.Store(false)
	waitEvent(order.BackendDown)
	c.SetSettings(&Settings{Cluster: order.Cluster{ID: "c"}})
	if flaky.Status() != health.Up {
		t.Fatalf("after the check was removed: %v", flaky.Status())
	}
	if _, _, check := flaky.HealthInfo(); check != "" {
		t.Fatalf("check result %q kept after removal", check)
	}
}

// TestCheckStopsPromptly: stopping a check cuts a probe waiting on a
// silent server.
func TestCheckStopsPromptly(t *testing.T) {
	silent := rawServer(t, nil)
	hc := &order.HealthCheck{Interval: order.Duration(100 * time.Millisecond), Timeout: order.Duration(time.Minute)}
	env := &Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c", HealthCheck: hc}}, env)
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "s", Address: silent}, 4))
	time.Sleep(150 * time.Millisecond) // a probe is waiting
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
}
