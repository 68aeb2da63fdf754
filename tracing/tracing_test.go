package tracing

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluiceproxy/sluice/internal/tracectx"
)

// The decision is the SDK's ParentBased(TraceIDRatioBased(r)), for random
// trace ids, parents and ratios.
func TestSamplerIsTheSDKs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, ratio := range []float64{0, 0.0001, 0.01, 0.25, 0.5, 0.999, 1} {
		ours := NewSampler(ratio)
		sdk := sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
		for range 2000 {
			var tid tracectx.TraceID
			binary.BigEndian.PutUint64(tid[:8], r.Uint64())
			binary.BigEndian.PutUint64(tid[8:], r.Uint64())
			ctx := context.Background()
			var parent *tracectx.Parent
			if r.IntN(3) == 0 {
				parent = &tracectx.Parent{Trace: tid, Span: NewSpanID(), Flags: byte(r.IntN(4))}
				ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
					TraceID: trace.TraceID(tid), SpanID: trace.SpanID(parent.Span),
					TraceFlags: trace.TraceFlags(parent.Flags & 1), Remote: true}))
			}
			want := sdk.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: trace.TraceID(tid)}).Decision == sdktrace.RecordAndSample
			if got := ours.Decide(parent, tid); got != want {
				t.Fatalf("ratio %v, trace %x, parent %v: decided %v, the SDK %v", ratio, tid, parent, got, want)
			}
		}
	}
}

func TestSamplerRatio(t *testing.T) {
	s := NewSampler(0.01)
	n := 0
	for range 100000 {
		if s.Decide(nil, NewTraceID()) {
			n++
		}
	}
	if n < 800 || n > 1200 {
		t.Errorf("%d of 100000 sampled at 1%%", n)
	}
}

func TestRecord(t *testing.T) {
	exp := &keep{}
	tr := NewWithExporter(Config{Ratio: 1, ServiceName: "edge"}, exp, nil)
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := Span{Trace: NewTraceID(), ID: NewSpanID(), Parent: NewSpanID(), ParentFlags: 1, State: []byte("rojo=1,congo=2"),
		Start: start, End: start.Add(15 * time.Millisecond),
		Method: []byte("GET"), Host: []byte("shop.example.com:8443"), Target: []byte("/cart?id=1"), UserAgent: []byte("curl"),
		Scheme: "https", Protocol: "2", Client: netip.MustParseAddrPort("203.0.113.7:51234"), ListenerPort: 8443,
		Cluster: "shop", Backend: "shop-1", BackendAddr: "127.0.0.1:3000", Status: 502, BytesIn: 100, BytesOut: 200}
	tr.Record(&s)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.spans
	if len(spans) != 1 {
		t.Fatalf("%d spans exported", len(spans))
	}
	sp := tracetest.SpanStubFromReadOnlySpan(spans[0])
	if sp.Name != "GET shop" || sp.SpanKind != trace.SpanKindServer {
		t.Errorf("name %q kind %v", sp.Name, sp.SpanKind)
	}
	if sp.SpanContext.TraceID() != trace.TraceID(s.Trace) || sp.SpanContext.SpanID() != trace.SpanID(s.ID) ||
		sp.Parent.SpanID() != trace.SpanID(s.Parent) || !sp.Parent.IsRemote() {
		t.Errorf("ids %v parent %v", sp.SpanContext, sp.Parent)
	}
	if sp.SpanContext.TraceState().String() != "rojo=1,congo=2" {
		t.Errorf("tracestate %q", sp.SpanContext.TraceState().String())
	}
	if !sp.StartTime.Equal(s.Start) || !sp.EndTime.Equal(s.End) {
		t.Errorf("times %v %v", sp.StartTime, sp.EndTime)
	}
	if sp.Status.Code != codes.Error {
		t.Errorf("status %v", sp.Status)
	}
	got := map[attribute.Key]attribute.Value{}
	for _, a := range sp.Attributes {
		got[a.Key] = a.Value
	}
	for k, v := range map[string]any{"http.request.method": "GET", "url.path": "/cart", "url.query": "id=1",
		"url.scheme": "https", "server.address": "shop.example.com", "server.port": int64(8443),
		"client.address": "203.0.113.7", "http.response.status_code": int64(502), "network.protocol.version": "2",
		"user_agent.original": "curl", "http.request.size": int64(100), "http.response.size": int64(200),
		"sluice.cluster": "shop", "sluice.backend": "shop-1", "sluice.backend.address": "127.0.0.1:3000",
		"error.type": "502"} {
		if a, ok := got[attribute.Key(k)]; !ok || a.AsInterface() != v {
			t.Errorf("%s = %v, want %v", k, a.AsInterface(), v)
		}
	}
	var name string
	for _, a := range sp.Resource.Attributes() {
		if a.Key == "service.name" {
			name = a.Value.AsString()
		}
	}
	if name != "edge" {
		t.Errorf("service.name %q", name)
	}
}

// blocking is an exporter that waits for release before each export.
type blocking struct {
	release chan struct{}
	mu      sync.Mutex
	n       int
	fail    bool
}

func (b *blocking) ExportSpans(ctx context.Context, s []sdktrace.ReadOnlySpan) error {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += len(s)
	if b.fail {
		return errors.New("collector down")
	}
	return nil
}
func (b *blocking) Shutdown(context.Context) error { return nil }

// A full queue drops and counts; shutdown exports what is queued.
func TestQueueBoundedAndFlushedAtShutdown(t *testing.T) {
	exp := &blocking{release: make(chan struct{})}
	tr := NewWithExporter(Config{Ratio: 1, QueueSize: 4, BatchSize: 1, BatchTimeout: time.Hour}, exp, nil)
	start := time.Now()
	for range 20 {
		tr.Record(&Span{Trace: NewTraceID(), ID: NewSpanID(), Start: start, End: start, Method: []byte("GET")})
	}
	// At most 4 queued and 1 being exported: 15 at least dropped.
	if st := tr.Stats(); st.Dropped < 15 || st.Exported != 0 {
		t.Errorf("stats %+v", st)
	}
	close(exp.release)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := tr.Stats()
	if st.Exported+st.Dropped != 20 || st.Exported != int64(exp.n) || st.Exported < 4 {
		t.Errorf("after shutdown: %+v, exporter saw %d", st, exp.n)
	}
}

func TestQueueCountsFailures(t *testing.T) {
	exp := &blocking{release: make(chan struct{}), fail: true}
	close(exp.release)
	var errs int
	var mu sync.Mutex
	tr := NewWithExporter(Config{Ratio: 1, BatchSize: 2, BatchTimeout: time.Hour}, exp, func(error) { mu.Lock(); errs++; mu.Unlock() })
	start := time.Now()
	for range 3 {
		tr.Record(&Span{Trace: NewTraceID(), ID: NewSpanID(), Start: start, End: start, Method: []byte("GET")})
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := tr.Stats(); st.Failed != 3 || st.Exported != 0 || errs != 2 {
		t.Errorf("stats %+v, %d errors told", st, errs)
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{Endpoint: "http://127.0.0.1:4318"}, true},
		{Config{Endpoint: "http://localhost"}, true},
		{Config{Endpoint: "http://[::1]:4317", Protocol: "grpc"}, true},
		{Config{Endpoint: "https://otel.example.com"}, true},
		{Config{Endpoint: "http://otel.example.com:4318"}, false},
		{Config{Endpoint: "http://otel.example.com:4318", Insecure: true}, true},
		{Config{Endpoint: "https://otel.example.com/v1/traces", Protocol: "grpc"}, false},
		{Config{Endpoint: "ftp://127.0.0.1"}, false},
		{Config{Endpoint: "127.0.0.1:4318"}, false},
		{Config{Endpoint: "http://127.0.0.1", Protocol: "http/json"}, false},
		{Config{Endpoint: "http://127.0.0.1", Ratio: 1.5}, false},
		{Config{Endpoint: "http://127.0.0.1", Ratio: -0.1}, false},
		{Config{Endpoint: "http://127.0.0.1", Headers: map[string]string{"x-api key": "1"}}, false},
		{Config{Endpoint: "http://127.0.0.1", Headers: map[string]string{"x-api-key": "a\r\nb"}}, false},
		{Config{Endpoint: "http://127.0.0.1", Headers: map[string]string{"x-api-key": "a b"}}, true},
		{Config{Endpoint: "http://127.0.0.1", CAFile: "/ca.pem"}, false},
		{Config{Endpoint: "https://127.0.0.1", CertFile: "/c.pem"}, false},
	} {
		if err := c.cfg.Check(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
	hp, path, err := CheckEndpoint("http://127.0.0.1", ProtocolHTTP, false)
	if hp != "127.0.0.1:4318" || path != "/v1/traces" || err != nil {
		t.Errorf("%s %s %v", hp, path, err)
	}
	hp, _, _ = CheckEndpoint("https://otel.example.com", ProtocolGRPC, false)
	if hp != "otel.example.com:4317" {
		t.Errorf("grpc default port: %s", hp)
	}
}

func BenchmarkDecideUnsampled(b *testing.B) {
	s := NewSampler(0.01)
	b.ReportAllocs()
	for b.Loop() {
		tid := NewTraceID()
		if s.Decide(nil, tid) {
			_ = NewSpanID()
		}
	}
}

// keep is an exporter that keeps what it is given, after its shutdown
// too.
type keep struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (k *keep) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.spans = append(k.spans, s...)
	return nil
}
func (k *keep) Shutdown(context.Context) error { return nil }

// BenchmarkRecord is what a sampled request's span costs the request: the
// SDK's span, its attributes, the queue.
func BenchmarkRecord(b *testing.B) {
	tr := NewWithExporter(Config{Ratio: 1, QueueSize: 1 << 16}, discard{}, nil)
	defer tr.Shutdown(context.Background())
	now := time.Now()
	s := Span{Trace: NewTraceID(), ID: NewSpanID(), Parent: NewSpanID(), Start: now, End: now,
		Method: []byte("GET"), Host: []byte("shop.example.com"), Target: []byte("/cart?id=1"), UserAgent: []byte("bench"),
		Scheme: "http", Protocol: "1.1", Client: netip.MustParseAddrPort("127.0.0.1:5000"), ListenerPort: 8080,
		Cluster: "shop", Backend: "b0", BackendAddr: "127.0.0.1:3000", Status: 200, BytesIn: 100, BytesOut: 200}
	b.ReportAllocs()
	for b.Loop() {
		tr.Record(&s)
	}
}

type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }
