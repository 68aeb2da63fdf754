package proxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// BenchmarkAddFrontends10000 applies 10 000 add-frontend orders one by one,
// each sent through Client.Do and acknowledged before the next: one op is
// the whole batch, so ns/op is the time for all 10 000.
func BenchmarkAddFrontends10000(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for range b.N {
		b.StopTimer()
		client, end := NewChannel(16)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		cfg := Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Listeners: []order.Listener{{Protocol: order.HTTP, Address: addr, Active: true}}}
		go func() { done <- Run(ctx, cfg, end) }()
		if r, err := client.Do(ctx, order.AddCluster{Cluster: order.Cluster{ID: "c"}}); err != nil || r.Status != order.StatusOK {
			b.Fatal(r, err)
		}
		b.StartTimer()
		for i := range 10000 {
			r, err := client.Do(ctx, order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{
				Address: addr, Hostname: fmt.Sprintf("host-%d.example.com", i), Path: "/api", ClusterID: "c"}})
			if err != nil || r.Status != order.StatusOK {
				b.Fatal(r, err)
			}
		}
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
