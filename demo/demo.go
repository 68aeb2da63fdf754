// Package demo runs a self-contained Sluice demonstration: a proxy on one
// loopback address in front of two built-in origin servers, balanced round
// robin, with a command socket so that the CLI can change it live; a third
// origin waits to be added. Nothing but the binary is needed.
package demo

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// Options configure a demo run.
type Options struct {
	// Address the proxy listens on; default 127.0.0.1:8080.
	Address string
	// Out receives the instructions printed at start.
	Out io.Writer
	// Logger receives the proxy's logs.
	Logger *slog.Logger
	// Socket is the command socket's path; default sluice-demo.sock in the
	// system's temporary folder.
	Socket string
	// Ready, if set, is called with the proxy's address once it serves.
	Ready func(addr string)
}

// Run serves the demo until ctx is done.
func Run(ctx context.Context, o Options) error {
	if o.Address == "" {
		o.Address = "127.0.0.1:8080"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Socket == "" {
		o.Socket = filepath.Join(os.TempDir(), "sluice-demo.sock")
	}
	var origins []string
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 1; i <= 3; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("demo: starting origin %d: %w", i, err)
		}
		srv := &http.Server{Handler: originHandler(i)}
		wg.Add(1)
		go func() { defer wg.Done(); _ = srv.Serve(ln) }()
		defer srv.Close()
		origins = append(origins, ln.Addr().String())
	}

	client, end := proxy.NewChannel(16)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	cfg := proxy.Config{Logger: o.Logger}
	go func() { done <- proxy.Run(ctx, cfg, end) }()

	orders := []order.Order{
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: o.Address, Active: true}},
		order.AddCluster{Cluster: order.Cluster{ID: "demo"}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: o.Address, Hostname: "*", ClusterID: "demo"}},
	}
	for i, addr := range origins[:2] {
		orders = append(orders, order.AddBackend{Backend: order.Backend{
			ClusterID: "demo", ID: fmt.Sprintf("origin-%d", i+1), Address: addr}})
	}
	for _, ord := range orders {
		resp, err := client.Do(ctx, ord)
		if err == nil && resp.Status != order.StatusOK {
			err = errors.New(resp.Message)
		}
		if err != nil {
			cancel()
			<-done
			return fmt.Errorf("demo: %s: %w", ord.Kind(), err)
		}
	}
	srv, err := command.Listen(o.Socket)
	if err != nil {
		cancel()
		<-done
		return fmt.Errorf("demo: command socket: %w", err)
	}
	defer srv.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(func(ctx context.Context, ord order.Order, _ command.Progress) order.Response {
			resp, err := client.DoRequest(ctx, order.Request{ID: command.RequestID(ctx), Order: ord})
			if err != nil {
				return order.Response{Status: order.StatusError, Message: err.Error()}
			}
			return resp
		})
	}()
	if o.Out != nil {
		fmt.Fprintf(o.Out, `Sluice demo: a proxy on http://%[1]s in front of two origins, balanced round robin.

  Open:  http://%[1]s/
  Try:   curl -i http://%[1]s/hello        (again: origin-1, then origin-2)

Change it live from another terminal:
  sluice -s %[4]s backend add --cluster demo --id origin-3 --address %[3]s
  sluice -s %[4]s backend remove --cluster demo --id origin-1
  sluice -s %[4]s backend list
(with the source tree: go run ./cmd/sluice -s %[4]s ...)

Press Ctrl-C to stop.
`, o.Address, origins[1], origins[2], o.Socket)
	}
	if o.Ready != nil {
		o.Ready(o.Address)
	}
	return <-done
}

func originHandler(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><title>origin-%d</title><h1>Hello from origin-%d</h1>"+
			"<p>You asked for <code>%s</code>. Sluice request id: <code>%s</code>.</p>\n",
			n, n, html.EscapeString(r.URL.Path), html.EscapeString(r.Header.Get("Sluice-Request-Id")))
	})
}
