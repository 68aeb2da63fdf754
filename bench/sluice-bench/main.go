// Command sluice-bench runs a Sluice proxy for the whole-proxy benchmark
// (bench/run.sh) until SIGINT or SIGTERM: one active http listener, one
// cluster, one frontend (hostname "*" by default, so any Host routes) and one
// backend. It logs at warn level to stderr and nothing per request.
//
// It stands in for the daemon binary that a later issue adds:
//
//	sluice-bench -listen 127.0.0.1:8082 -backend 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8082", "address of the http listener (host:port)")
	backendAddr := flag.String("backend", "127.0.0.1:8080", "address of the one backend (ip:port)")
	host := flag.String("host", "*", `frontend hostname: exact, wildcard or the catch-all "*"`)
	maxConns := flag.Int("max-conns", 20000, "proxy-wide bound on open client connections")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(logger, *listen, *backendAddr, *host, *maxConns); err != nil {
		logger.Error("sluice-bench", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger, listen, backendAddr, host string, maxConns int) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cfg := proxy.Config{
		Listeners:      []order.Listener{{Protocol: order.HTTP, Address: listen, Active: true}},
		MaxConnections: maxConns,
		ShutdownGrace:  time.Second,
		Logger:         logger,
	}
	client, end := proxy.NewChannel(16)
	done := make(chan error, 1)
	go func() { done <- proxy.Run(ctx, cfg, end) }()

	orders := []order.Order{
		order.AddCluster{Cluster: order.Cluster{ID: "bench"}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: listen, Hostname: host, ClusterID: "bench"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "bench", ID: "origin", Address: backendAddr}},
	}
	for _, o := range orders {
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := client.Do(octx, o)
		cancel()
		if err != nil {
			// Run may have failed (e.g. the listener could not bind).
			stop()
			if rerr := <-done; rerr != nil {
				return rerr
			}
			return fmt.Errorf("%s: %w", o.Kind(), err)
		}
		if resp.Status != order.StatusOK {
			stop()
			<-done
			return fmt.Errorf("%s refused: %s", o.Kind(), resp.Message)
		}
	}
	fmt.Printf("sluice-bench ready: listen=%s backend=%s host=%s\n", listen, backendAddr, host)

	err := <-done
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
