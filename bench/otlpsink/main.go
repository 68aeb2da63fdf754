// Command otlpsink is a minimal OTLP/HTTP trace collector for the
// benchmarks (bench/run.sh --only trace): it accepts POST /v1/traces in
// protobuf, decodes each export, counts its spans and answers success. On
// SIGTERM or SIGINT it prints "exports N spans M" and exits.
//
//	otlpsink -listen 127.0.0.1:4318
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4318", "address to listen on (loopback)")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*listen); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("otlpsink: -listen %q: want a loopback ip:port", *listen)
	}
	var exports, spans atomic.Int64
	ok, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
				http.NotFound(w, r)
				return
			}
			b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
			var req collectortrace.ExportTraceServiceRequest
			if err == nil {
				err = proto.Unmarshal(b, &req)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			n := 0
			for _, rs := range req.ResourceSpans {
				for _, ss := range rs.ScopeSpans {
					n += len(ss.Spans)
				}
			}
			exports.Add(1)
			spans.Add(int64(n))
			w.Header().Set("Content-Type", "application/x-protobuf")
			_, _ = w.Write(ok)
		})}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe() }()
	select {
	case err := <-done:
		log.Fatalf("otlpsink: %v", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
	}
	fmt.Printf("exports %d spans %d\n", exports.Load(), spans.Load())
}
