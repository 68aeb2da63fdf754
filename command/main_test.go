package command_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every blocking step of the tests.
const wait = 5 * time.Second

// start listens on a fresh socket, serves h on it and closes the server at
// the end of the test, checking that Serve returned nil.
func start(t testing.TB, h command.Handler, configure ...func(*command.Server)) *command.Server {
	t.Helper()
	srv, err := command.Listen(filepath.Join(t.TempDir(), "sluice.sock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range configure {
		f(srv)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(h) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve returned %v after Close", err)
			}
		case <-time.After(wait):
			t.Errorf("Serve did not return after Close")
		}
	})
	return srv
}

// fake is a handler that behaves like the proxy would for a few kinds: it
// validates every order, streams progress for remove_cluster, answers
// list_clusters with content and echoes remove_backend's ids.
func fake(ctx context.Context, o order.Order, progress command.Progress) order.Response {
	if err := o.Validate(); err != nil {
		return order.Response{Status: order.StatusError, Message: err.Error()}
	}
	switch o := o.(type) {
	case order.RemoveCluster:
		progress("draining 2 requests in flight", nil)
		progress("drained", nil)
	case order.ListClusters:
		return order.Response{Status: order.StatusOK, Content: &order.Content{Clusters: []order.Cluster{
			{ID: "shop", Protocol: order.HTTP, LoadBalancing: order.RoundRobin},
			{ID: "db", Protocol: order.TCP, LoadBalancing: order.LeastLoaded},
		}}}
	case order.RemoveBackend:
		return order.Response{Status: order.StatusOK, Message: o.ClusterID + "/" + o.ID}
	}
	return order.Response{Status: order.StatusOK}
}

// raw is a client connection driven line by line, as socat would.
type raw struct {
	t testing.TB
	c *net.UnixConn
	r *bufio.Reader
}

func dialRaw(t testing.TB, srv *command.Server) *raw {
	t.Helper()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: srv.Path(), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &raw{t: t, c: c, r: bufio.NewReader(c)}
}

func (r *raw) send(s string) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(wait))
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// line reads one response line, without its newline.
func (r *raw) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(wait))
	s, err := r.r.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

func (r *raw) resp() order.Response {
	r.t.Helper()
	s := r.line()
	var resp order.Response
	if err := json.Unmarshal([]byte(s), &resp); err != nil {
		r.t.Fatalf("response %q: %v", s, err)
	}
	return resp
}

// alive checks that the connection still answers a valid order.
func (r *raw) alive() {
	r.t.Helper()
	r.send(`{"id":"still-there","kind":"status"}` + "\n")
	if got := r.line(); got != `{"id":"still-there","status":"ok"}` {
		r.t.Fatalf("after bad input, a valid order got %s", got)
	}
}
