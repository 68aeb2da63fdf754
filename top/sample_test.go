package top

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// serve runs a command server at path with h until the test ends (or
// stop is called).
func serve(t *testing.T, path string, h command.Handler) (stop func()) {
	t.Helper()
	srv, err := command.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(h) })
	var once sync.Once
	stop = func() { once.Do(func() { srv.Close(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// proxyHandler answers the three queries of a poll like a proxy whose
// metrics are off (metricsOff) or on, with pid.
func proxyHandler(pid int, metricsOff bool) command.Handler {
	return func(ctx context.Context, o order.Order, _ command.Progress) order.Response {
		switch o := o.(type) {
		case order.Status:
			return order.Response{Status: order.StatusOK, Content: &order.Content{Status: &order.ProxyStatus{PID: pid, Requests: 5}}}
		case order.Metrics:
			if metricsOff {
				return order.Response{Status: order.StatusError, Message: "kind: this proxy keeps no metrics"}
			}
			if !o.Buckets {
				return order.Response{Status: order.StatusError, Message: "asked without buckets"}
			}
			return order.Response{Status: order.StatusOK, Content: &order.Content{Metrics: &order.MetricsContent{
				Clusters: []order.ClusterMetrics{{ClusterID: "shop", Requests: 5}}, BucketBoundsMs: bounds()}}}
		case order.ListBackends:
			return order.Response{Status: order.StatusOK, Content: &order.Content{Backends: []order.BackendStatus{
				{Backend: order.Backend{ClusterID: "shop", ID: "s1"}, Health: "up"}}}}
		}
		return order.Response{Status: order.StatusError, Message: "unexpected " + string(o.Kind())}
	}
}

func TestSocketFetch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	s := NewSocket(path, 5*time.Second)
	defer s.Close()

	// Nothing there yet: an error that says so, and no sample.
	if _, err := s.Fetch(); !errors.Is(err, command.ErrUnreachable) {
		t.Fatalf("no socket: %v", err)
	}
	stop := serve(t, path, proxyHandler(1, false))
	smp, err := s.Fetch()
	if err != nil {
		t.Fatal(err)
	}
	if smp.Status.PID != 1 || smp.Metrics == nil || smp.Metrics.Clusters[0].ClusterID != "shop" ||
		len(smp.Metrics.BucketBoundsMs) == 0 || len(smp.Backends) != 1 || smp.Time.IsZero() {
		t.Fatalf("sample %+v", smp)
	}
	// The proxy goes; another comes, without metrics: found again, with
	// its health and no figures.
	stop()
	if _, err := s.Fetch(); err == nil {
		t.Fatal("a Fetch from a closed server succeeded")
	}
	serve(t, path, proxyHandler(2, true))
	smp, err = s.Fetch()
	if err != nil {
		t.Fatal(err)
	}
	if smp.Status.PID != 2 || smp.Metrics != nil || smp.MetricsOff != "kind: this proxy keeps no metrics" || len(smp.Backends) != 1 {
		t.Fatalf("sample without metrics %+v", smp)
	}
}

// TestSocketHungProxy: a proxy that does not answer costs a Fetch its
// timeout, not forever; Close ends a Fetch in progress.
func TestSocketHungProxy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	hung := func(ctx context.Context, o order.Order, _ command.Progress) order.Response {
		<-ctx.Done()
		return order.Response{Status: order.StatusError, Message: "gone"}
	}
	serve(t, path, hung)
	s := NewSocket(path, 100*time.Millisecond)
	if _, err := s.Fetch(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung proxy: %v", err)
	}
	s.Close()

	s = NewSocket(path, time.Hour)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Fetch()
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // the Fetch waits for its answer (or has not begun: it fails all the same)
	s.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("a Fetch ended by Close succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the Fetch")
	}
	if _, err := s.Fetch(); err == nil {
		t.Fatal("Fetch after Close succeeded")
	}
}
