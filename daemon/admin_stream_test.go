package daemon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// sse is a Server-Sent Events client of the admin API.
type sse struct {
	resp *http.Response
	r    *bufio.Reader
}

type sseMessage struct{ event, data string }

func openSSE(t *testing.T, ctx context.Context, d *testDaemon, path string) *sse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+d.admin+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+readToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sse{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next reads the next message (comments skipped).
func (s *sse) next(t *testing.T) sseMessage {
	t.Helper()
	var m sseMessage
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if m.data != "" {
				return m
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			m.event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			m.data = line[len("data: "):]
		}
	}
}

// TestAdminEventsMatchSocket: /api/events carries the events the
// socket's subscribe_events carries, the same JSON.
func TestAdminEventsMatchSocket(t *testing.T) {
	d := startDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	stream := openSSE(t, ctx, d, "/api/events")
	if m := stream.next(t); m.event != "progress" || !strings.Contains(m.data, "subscribed to events") {
		t.Fatalf("first message %+v, want the subscription", m)
	}

	// The socket's subscriber, on its own connection.
	sockEvents := make(chan order.Event, 16)
	subscribed := make(chan struct{})
	sctx, scancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := dialSocket(d)
		if err != nil {
			t.Error(err)
			close(subscribed)
			return
		}
		defer c.Close()
		c.Do(sctx, order.SubscribeEvents{}, func(r order.Response) {
			if r.Content != nil && r.Content.Event != nil {
				sockEvents <- *r.Content.Event
			} else if r.Message == "subscribed to events" {
				close(subscribed)
			}
		})
	}()
	defer func() { scancel(); <-done }()
	<-subscribed

	d.must(t, order.AddCluster{Cluster: order.Cluster{ID: "web"}})
	d.must(t, order.RemoveBackend{ClusterID: "shop", ID: "shop-1"})
	for i := range 2 {
		m := stream.next(t)
		if m.event != "" {
			t.Fatalf("event %d: SSE event name %q, want none (message)", i, m.event)
		}
		var want order.Event
		select {
		case want = <-sockEvents:
		case <-time.After(wait):
			t.Fatal("no event on the socket")
		}
		if got := jsonOf(t, want); m.data != got {
			t.Errorf("event %d:\nSSE:    %s\nsocket: %s", i, m.data, got)
		}
	}
}

// TestAdminMetricsStream: /api/metrics/stream sends a summary a second
// with the requests of that second.
func TestAdminMetricsStream(t *testing.T) {
	d := startDaemon(t)
	// An origin, and traffic through the http listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })}
	go origin.Serve(ln)
	defer origin.Close()
	d.must(t, order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "shop-2", Address: ln.Addr().String()}})
	d.must(t, order.RemoveBackend{ClusterID: "shop", ID: "shop-1"})

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	stream := openSSE(t, ctx, d, "/api/metrics/stream")
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	var sum order.MetricsRates
	for try := 0; try < 5; try++ {
		for range 20 {
			req, _ := http.NewRequest("GET", "http://"+d.httpL+"/api/x", nil)
			req.Host = "shop.test"
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("through the proxy: %d", resp.StatusCode)
			}
		}
		m := stream.next(t)
		if err := json.Unmarshal([]byte(m.data), &sum); err != nil {
			t.Fatalf("%q: %v", m.data, err)
		}
		if sum.RequestsPerSecond > 0 {
			break
		}
	}
	if sum.RequestsPerSecond <= 0 || sum.P50Ms <= 0 || sum.P99Ms < sum.P50Ms || sum.IntervalSeconds <= 0 {
		t.Errorf("summary %+v: no requests counted", sum)
	}
	var shop *order.ClusterRates
	for i := range sum.Clusters {
		if sum.Clusters[i].ClusterID == "shop" {
			shop = &sum.Clusters[i]
		}
	}
	if shop == nil || shop.RequestsPerSecond <= 0 || shop.ErrorRate != 0 || shop.BackendsUp != 1 {
		t.Errorf("cluster shop: %+v", shop)
	}
	if len(sum.Backends) != 2 {
		t.Errorf("backends %+v, want db-1 and shop-2", sum.Backends)
	}
}

// TestAdminShutdown: POST /api/shutdown answers as the socket's shutdown
// (on another daemon: one stops only once) and stops the daemon.
func TestAdminShutdown(t *testing.T) {
	a, b := startDaemon(t), startDaemon(t)
	status, viaHTTP := a.call(t, writeToken, "POST", "/api/shutdown", `{}`)
	viaSocket := b.socket(t, order.Shutdown{})
	viaHTTP.ID, viaSocket.ID = "", ""
	if status != 200 || jsonOf(t, viaHTTP) != jsonOf(t, viaSocket) {
		t.Errorf("HTTP %d %s, socket %s", status, jsonOf(t, viaHTTP), jsonOf(t, viaSocket))
	}
	for _, d := range []*testDaemon{a, b} {
		select {
		case err := <-d.done:
			if err != nil {
				t.Errorf("daemon: %v", err)
			}
			d.done <- nil
		case <-time.After(wait):
			t.Fatalf("the daemon did not stop")
		}
	}
}
