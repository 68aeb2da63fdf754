package tracing

import (
	"context"
	"net/netip"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sluiceproxy/sluice/internal/tracectx"
)

// Span is a sampled request as the exchange stage knows it when it ends:
// what its span is made of. Byte slices are read during Record only.
type Span struct {
	Trace tracectx.TraceID
	ID    tracectx.SpanID
	// Parent is the caller's span (a valid incoming traceparent's), zero
	// for a trace the proxy started; State its tracestate value, as
	// received, when valid.
	Parent      tracectx.SpanID
	ParentFlags byte
	State       []byte
	Start, End  time.Time
	// The request: method, the authority it was routed by, the target
	// (origin-form), the User-Agent, "http" or "https", "1.1" or "2".
	Method, Host, Target, UserAgent []byte
	Scheme, Protocol                string
	Client                          netip.AddrPort
	// Listener's port; the cluster and backend ids and the backend's
	// address ("" when the proxy answered itself).
	ListenerPort                  int
	Cluster, Backend, BackendAddr string
	// Status is the final status sent (0: none, the client went away).
	Status            int
	BytesIn, BytesOut int64
	// Retries are attempts on a backend that failed and were made again.
	Retries int64
}

// Attribute keys of the proxy's own (no semantic convention names them).
const (
	attrCluster     = attribute.Key("sluice.cluster")
	attrBackend     = attribute.Key("sluice.backend")
	attrBackendAddr = attribute.Key("sluice.backend.address")
	attrRetries     = attribute.Key("sluice.retries")
)

// idsKey carries a span's ids to givenIDs through the context.
type idsKey struct{}

type ids struct {
	trace tracectx.TraceID
	span  tracectx.SpanID
}

// Record exports s as a SERVER span: named by its method (and its
// cluster), with OpenTelemetry's HTTP semantic conventions (v1.40)
// and the proxy's own attributes; status Error for a 5xx or no response.
func (t *Tracer) Record(s *Span) {
	ctx := context.WithValue(context.Background(), idsKey{}, ids{s.Trace, s.ID})
	if s.Parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID(s.Trace), SpanID: trace.SpanID(s.Parent),
			TraceFlags: trace.TraceFlags(s.ParentFlags & tracectx.FlagSampled), TraceState: traceState(s.State),
			Remote: true}))
	}
	method, known := knownMethod(s.Method)
	name := method
	if s.Cluster != "" {
		name += " " + s.Cluster
	}
	path, query := s.Target, []byte(nil)
	for i, c := range s.Target {
		if c == '?' {
			path, query = s.Target[:i], s.Target[i+1:]
			break
		}
	}
	attrs := make([]attribute.KeyValue, 0, 20)
	attrs = append(attrs,
		semconv.HTTPRequestMethodKey.String(method),
		semconv.URLScheme(s.Scheme),
		semconv.URLPath(string(path)),
		semconv.ServerAddress(hostOnly(s.Host)),
		semconv.ServerPort(s.ListenerPort),
		semconv.NetworkProtocolName("http"),
		semconv.NetworkProtocolVersion(s.Protocol),
		semconv.HTTPRequestSize(int(s.BytesIn)),
		semconv.HTTPResponseSize(int(s.BytesOut)),
	)
	if !known {
		attrs = append(attrs, semconv.HTTPRequestMethodOriginal(string(s.Method)))
	}
	if query != nil {
		attrs = append(attrs, semconv.URLQuery(string(query)))
	}
	if s.Client.IsValid() {
		attrs = append(attrs, semconv.ClientAddress(s.Client.Addr().String()), semconv.ClientPort(int(s.Client.Port())))
	}
	if len(s.UserAgent) > 0 {
		attrs = append(attrs, semconv.UserAgentOriginal(string(s.UserAgent)))
	}
	if s.Status > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(s.Status))
	}
	if s.Cluster != "" {
		attrs = append(attrs, attrCluster.String(s.Cluster))
	}
	if s.Backend != "" {
		attrs = append(attrs, attrBackend.String(s.Backend), attrBackendAddr.String(s.BackendAddr))
	}
	if s.Retries > 0 {
		attrs = append(attrs, attrRetries.Int64(s.Retries))
	}
	var errType string
	switch {
	case s.Status >= 500:
		errType = strconv.Itoa(s.Status)
	case s.Status == 0:
		errType = "no_response"
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	_, sp := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(s.Start),
		trace.WithAttributes(attrs...))
	if errType != "" {
		sp.SetStatus(codes.Error, "")
	}
	sp.End(trace.WithTimestamp(s.End))
}

// knownMethod returns the method as the conventions name it: one of the
// standard methods, else "_OTHER" (known false).
func knownMethod(m []byte) (string, bool) {
	switch string(m) {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return string(m), true
	}
	return "_OTHER", false
}

// hostOnly is an authority without its port.
func hostOnly(h []byte) string {
	for i := len(h) - 1; i >= 0; i-- {
		switch h[i] {
		case ':':
			return string(h[:i])
		case ']':
			return string(h)
		}
	}
	return string(h)
}

// givenIDs hands the SDK the ids the stage chose (and sent upstream) for
// a span; a span started elsewhere gets random ones.
type givenIDs struct{}

func (givenIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if v, ok := ctx.Value(idsKey{}).(ids); ok {
		return trace.TraceID(v.trace), trace.SpanID(v.span)
	}
	return trace.TraceID(NewTraceID()), trace.SpanID(NewSpanID())
}

func (givenIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if v, ok := ctx.Value(idsKey{}).(ids); ok {
		return trace.SpanID(v.span)
	}
	return trace.SpanID(NewSpanID())
}

// traceState is the parent's tracestate for the span, or an empty one
// when the SDK does not take it.
func traceState(v []byte) trace.TraceState {
	if len(v) == 0 {
		return trace.TraceState{}
	}
	ts, err := trace.ParseTraceState(string(v))
	if err != nil {
		return trace.TraceState{}
	}
	return ts
}
