package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// grpcCollector is an OTLP/gRPC trace collector in the test's process.
type grpcCollector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.Span
	keys  []string
}

func (c *grpcCollector) Export(ctx context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = append(c.keys, md.Get("x-api-key")...)
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// TestTracingThroughTheDaemon: with a [tracing] table naming a gRPC
// collector, a request's span is exported with the traceparent's parent,
// the access log line carries its trace id, the span counts reach the
// Prometheus endpoint, and a soft stop right after the request still
// exports what was queued.
func TestTracingThroughTheDaemon(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := &grpcCollector{}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, col)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(ln) }()
	defer func() { srv.Stop(); wg.Wait() }()

	dir := t.TempDir()
	prom := freePort(t)
	d := start(t, dir, origin(t), fmt.Sprintf(`access_log = "access.log"
access_log_format = "json"
[metrics]
prometheus_address = %q
[tracing]
endpoint = "http://%s"
protocol = "grpc"
ratio = 0
service_name = "e2e"
headers = { "x-api-key" = "k1" }
`, prom, ln.Addr()))

	const trace, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	send := func(tp string) {
		req := "GET /traced HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n"
		if tp != "" {
			req += "traceparent: " + tp + "\r\n"
		}
		c, err := net.Dial("tcp", d.front)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte(req + "\r\n"))
		b := make([]byte, 4096)
		if n, _ := c.Read(b); !strings.HasPrefix(string(b[:n]), "HTTP/1.1 200") {
			t.Fatalf("answer %q", b[:n])
		}
	}
	send("")                                   // ratio 0: not sampled, no trace
	send("00-" + trace + "-" + parent + "-01") // sampled by its parent
	testwait.For(t, "the span counted", func() bool {
		_, body := get(t, "http://"+prom+"/metrics")
		return strings.Contains(body, `sluice_tracing_spans_total{result="exported"} 1`)
	})
	send("00-" + trace + "-" + parent + "-01") // queued (1 s batches) when the stop comes
	d.cmd.Process.Signal(syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, d.stderr)
	}
	col.mu.Lock()
	spans, keys := col.spans, col.keys
	col.mu.Unlock()
	if len(spans) != 2 {
		t.Fatalf("%d spans exported, want 2:\n%s", len(spans), d.stderr)
	}
	for _, s := range spans {
		if hex.EncodeToString(s.TraceId) != trace || hex.EncodeToString(s.ParentSpanId) != parent || s.Name != "GET shop" {
			t.Errorf("span %q trace %x parent %x", s.Name, s.TraceId, s.ParentSpanId)
		}
	}
	if len(keys) == 0 || keys[0] != "k1" {
		t.Errorf("export headers %q", keys)
	}
	b, err := os.ReadFile(filepath.Join(dir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Lines are written as exchanges end, which need not be the order
	// they began in (the first one's line may come after the second's):
	// sorted by request id, which counts up.
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(requestIDOf(a), requestIDOf(b)) })
	if len(lines) != 3 || !strings.Contains(lines[0], `"trace_id":null`) ||
		!strings.Contains(lines[1], `"trace_id":"`+trace+`"`) || !strings.Contains(lines[2], `"trace_id":"`+trace+`"`) {
		t.Errorf("access log:\n%s", b)
	}
}

// requestIDOf is the request_id of a JSON access log line.
func requestIDOf(line string) string {
	var e struct {
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal([]byte(line), &e)
	return e.RequestID
}
