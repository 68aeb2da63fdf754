package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
	"github.com/sluiceproxy/sluice/tracing"
)

// otlpReceiver is an OTLP/HTTP collector in the test's process: it
// decodes every export request (protobuf) and keeps the spans.
type otlpReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	spans   []*tracepb.Span
	service string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" ||
			req.Header.Get("X-Api-Key") != "secret" {
			t.Errorf("export to %s, content type %q, key %q", req.URL.Path, req.Header.Get("Content-Type"), req.Header.Get("X-Api-Key"))
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		b, err := io.ReadAll(req.Body)
		var msg collectortrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &msg)
		}
		if err != nil {
			t.Errorf("decoding an export: %v", err)
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.ResourceSpans {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					r.service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// span waits (up to 10 s) for the span of trace tid, nil if none came.
func (r *otlpReceiver) span(tid string) *tracepb.Span {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, s := range r.spans {
			if hex.EncodeToString(s.TraceId) == tid {
				r.mu.Unlock()
				return s
			}
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func (r *otlpReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.spans)
}

func attrs(s *tracepb.Span) map[string]any {
	m := map[string]any{}
	for _, a := range s.Attributes {
		if _, ok := a.Value.Value.(*commonpb.AnyValue_StringValue); ok {
			m[a.Key] = a.Value.GetStringValue()
		} else {
			m[a.Key] = a.Value.GetIntValue()
		}
	}
	return m
}

const (
	incomingTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingParent = "00f067aa0ba902b7"
)

// TestTracing: with tracing on, through both fronts, the backend gets a
// traceparent naming the proxy's span (the client's trace kept, or a new
// one), tracestate only beside a valid traceparent, and the collector
// gets the sampled requests' spans with their parents and attributes; the
// access log names the trace.
func TestTracing(t *testing.T) {
	type seen struct{ parent, state string }
	cases := []struct {
		name          string
		parent, state []string // the client's fields
		ratio         float64
		wantSent      bool   // a traceparent reaches the origin
		sameTrace     bool   // ... in the client's trace
		wantFlags     string // ... with these flags
		wantState     string // the origin's tracestate
		wantSpan      bool   // a span is exported
	}{
		{name: "sampled parent", parent: []string{"00-" + incomingTrace + "-" + incomingParent + "-01"},
			state: []string{"rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"}, ratio: 0,
			wantSent: true, sameTrace: true, wantFlags: "01", wantState: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", wantSpan: true},
		{name: "unsampled parent", parent: []string{"00-" + incomingTrace + "-" + incomingParent + "-00"},
			state: []string{"rojo=1"}, ratio: 1,
			wantSent: true, sameTrace: true, wantFlags: "00", wantState: "rojo=1"},
		{name: "later version, random flag kept", parent: []string{"01-" + incomingTrace + "-" + incomingParent + "-03-more"},
			ratio: 0, wantSent: true, sameTrace: true, wantFlags: "03", wantSpan: true},
		{name: "bad tracestate dropped", parent: []string{"00-" + incomingTrace + "-" + incomingParent + "-01"},
			state: []string{"Rojo=1"}, ratio: 1, wantSent: true, sameTrace: true, wantFlags: "01", wantSpan: true},
		{name: "invalid parent: new trace", parent: []string{"00-" + strings.ToUpper(incomingTrace) + "-" + incomingParent + "-01"},
			state: []string{"rojo=1"}, ratio: 1, wantSent: true, wantFlags: "01", wantSpan: true},
		{name: "invalid parent, unsampled new trace", parent: []string{"00-" + incomingTrace + "-0000000000000000-01"},
			ratio: 0, wantSent: true, wantFlags: "00"},
		{name: "two parents: new trace", parent: []string{"00-" + incomingTrace + "-" + incomingParent + "-01",
			"00-" + incomingTrace + "-" + incomingParent + "-01"}, ratio: 1, wantSent: true, wantFlags: "01", wantSpan: true},
		{name: "none, sampled", ratio: 1, wantSent: true, wantFlags: "01", wantSpan: true},
		{name: "none, not sampled", state: []string{"rojo=1"}, ratio: 0},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			var rcv *otlpReceiver
			logs := &syncBuffer{}
			eachFrontWith(t, func(t *testing.T, pc *proxy.Config) {
				rcv = newOTLPReceiver(t)
				tr, err := tracing.New(tracing.Config{Endpoint: rcv.URL, Ratio: c.ratio, ServiceName: "edge-test",
					Headers: map[string]string{"X-Api-Key": "secret"}, BatchTimeout: 10 * time.Millisecond}, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
				al, err := accesslog.New(accesslog.Config{Output: logs, Format: accesslog.JSON})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = al.Close() })
				pc.Tracer, pc.AccessLog = tr, al
			}, func(t *testing.T, f *front) {
				var mu sync.Mutex
				var got seen
				o := newOrigin(t, "shop", func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					got = seen{strings.Join(r.Header.Values("Traceparent"), "|"), strings.Join(r.Header.Values("Tracestate"), ",")}
					mu.Unlock()
					io.WriteString(w, "hello")
				})
				cluster := f.route("shop.test", o.Addr)
				req := f.request("GET", "shop.test", "/cart?id=1", nil)
				req.Header.Set("User-Agent", "trace-test/1")
				for _, p := range c.parent {
					req.Header.Add("Traceparent", p)
				}
				for _, s := range c.state {
					req.Header.Add("Tracestate", s)
				}
				resp, body := f.send(req)
				wantStatus(t, resp, body, 200)
				mu.Lock()
				g := got
				mu.Unlock()
				if !c.wantSent {
					if g.parent != "" || g.state != "" {
						t.Fatalf("origin got traceparent %q tracestate %q, want none", g.parent, g.state)
					}
					return
				}
				parts := strings.Split(g.parent, "-")
				if len(parts) != 4 || parts[0] != "00" || len(g.parent) != 55 {
					t.Fatalf("origin got traceparent %q", g.parent)
				}
				tid, sid, flags := parts[1], parts[2], parts[3]
				if (tid == incomingTrace) != c.sameTrace || sid == incomingParent || flags != c.wantFlags {
					t.Errorf("origin got traceparent %q; same trace %v, flags %s wanted", g.parent, c.sameTrace, c.wantFlags)
				}
				if g.state != c.wantState {
					t.Errorf("origin got tracestate %q, want %q", g.state, c.wantState)
				}
				reqID := resp.Header.Get("Sluice-Request-Id")
				if line := accessLine(t, logs, reqID); line["trace_id"] != tid {
					t.Errorf("access log trace_id %v, want %s", line["trace_id"], tid)
				}
				if !c.wantSpan {
					if n := rcv.count(); n != 0 {
						t.Errorf("%d spans exported, want none", n)
					}
					return
				}
				s := rcv.span(tid)
				if s == nil {
					t.Fatalf("no span of trace %s exported", tid)
				}
				if hex.EncodeToString(s.SpanId) != sid {
					t.Errorf("span id %x, the origin's parent %s", s.SpanId, sid)
				}
				wantParent := ""
				if c.sameTrace {
					wantParent = incomingParent
				}
				if hex.EncodeToString(s.ParentSpanId) != wantParent {
					t.Errorf("span's parent %x, want %q", s.ParentSpanId, wantParent)
				}
				if s.Kind != tracepb.Span_SPAN_KIND_SERVER || s.Name != "GET "+cluster {
					t.Errorf("span %q kind %v", s.Name, s.Kind)
				}
				if s.EndTimeUnixNano <= s.StartTimeUnixNano {
					t.Errorf("span from %d to %d", s.StartTimeUnixNano, s.EndTimeUnixNano)
				}
				a := attrs(s)
				proto, scheme := "1.1", "http"
				if f.https {
					proto, scheme = "2", "https"
				}
				for k, v := range map[string]any{"http.request.method": "GET", "url.path": "/cart", "url.query": "id=1",
					"url.scheme": scheme, "server.address": "shop.test", "http.response.status_code": int64(200),
					"network.protocol.version": proto, "user_agent.original": "trace-test/1", "client.address": "127.0.0.1",
					"sluice.cluster": cluster, "sluice.backend": "b0", "sluice.backend.address": o.Addr} {
					if a[k] != v {
						t.Errorf("attribute %s = %v, want %v", k, a[k], v)
					}
				}
				if n, _ := a["http.response.size"].(int64); n < 5 { // the access log's bytes_out: HTTP/2 heads count per connection
					t.Errorf("http.response.size %v", a["http.response.size"])
				}
				rcv.mu.Lock()
				if rcv.service != "edge-test" {
					t.Errorf("service.name %q", rcv.service)
				}
				rcv.mu.Unlock()
			})
		})
	}
}

// accessLine waits for the JSON access log line of request id.
func accessLine(t *testing.T, logs *syncBuffer, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(bytes.NewReader([]byte(logs.String())))
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["request_id"] == id {
				return m
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no access log line for request %s", id)
	return nil
}

// TestTracingOffPassesFieldsOn: without a tracer, traceparent and
// tracestate reach the backend as the client sent them, valid or not.
func TestTracingOffPassesFieldsOn(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		var mu sync.Mutex
		var parent, state string
		o := newOrigin(t, "shop", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			parent, state = strings.Join(r.Header.Values("Traceparent"), "|"), strings.Join(r.Header.Values("Tracestate"), "|")
			mu.Unlock()
		})
		f.route("shop.test", o.Addr)
		for _, p := range []string{"00-" + incomingTrace + "-" + incomingParent + "-01", "not a traceparent"} {
			req := f.request("GET", "shop.test", "/", nil)
			req.Header.Set("Traceparent", p)
			req.Header.Set("Tracestate", "Not=valid")
			resp, body := f.send(req)
			wantStatus(t, resp, body, 200)
			mu.Lock()
			if parent != p || state != "Not=valid" {
				t.Errorf("origin got traceparent %q tracestate %q", parent, state)
			}
			mu.Unlock()
		}
	})
}

// TestTracingToH2CBackend: a cluster speaking cleartext HTTP/2 to its
// backend gets the same traceparent and tracestate as an HTTP/1.1 one.
func TestTracingToH2CBackend(t *testing.T) {
	eachFrontWith(t, func(t *testing.T, pc *proxy.Config) {
		tr := tracing.NewWithExporter(tracing.Config{Ratio: 0}, noSpans{}, nil)
		t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
		pc.Tracer = tr
	}, func(t *testing.T, f *front) {
		var mu sync.Mutex
		var parent, state string
		o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			parent, state = strings.Join(r.Header.Values("Traceparent"), "|"), strings.Join(r.Header.Values("Tracestate"), ",")
			mu.Unlock()
			if r.ProtoMajor != 2 {
				http.Error(w, "not h2", 500)
			}
		}))
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		o.Config.Protocols = &p
		o.Start()
		t.Cleanup(o.Close)
		f.Must(order.AddCluster{Cluster: order.Cluster{ID: "h2c", HTTP2: true}})
		f.addBackend("h2c", "b0", o.Listener.Addr().String())
		f.frontend(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "h2c"})
		req := f.request("GET", "shop.test", "/", nil)
		req.Header.Set("Traceparent", "00-"+incomingTrace+"-"+incomingParent+"-00")
		req.Header.Set("Tracestate", "rojo=1")
		resp, body := f.send(req)
		wantStatus(t, resp, body, 200)
		mu.Lock()
		defer mu.Unlock()
		if !strings.HasPrefix(parent, "00-"+incomingTrace+"-") || strings.Contains(parent, incomingParent) ||
			!strings.HasSuffix(parent, "-00") || len(parent) != 55 || state != "rojo=1" {
			t.Errorf("h2c origin got traceparent %q tracestate %q", parent, state)
		}
	})
}

// noSpans is an exporter for tracers that must export nothing.
type noSpans struct{}

func (noSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("a span was exported")
}
func (noSpans) Shutdown(context.Context) error { return nil }
