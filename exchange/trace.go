package exchange

import (
	"strconv"
	"time"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/tracectx"
	"github.com/sluiceproxy/sluice/tracing"
)

// trace is the W3C Trace Context of the exchange in progress when the
// proxy traces (Env.Tracer set); its zero value (tracing off) makes every
// traceparent and tracestate field go on as it came.
//
// With tracing on, the header table gives both fields the fate traced:
//   - a valid traceparent (exactly one field): the trace goes on, the
//     request's sampled flag decides, and the backend gets a traceparent
//     naming the proxy's span as its parent; the tracestate fields go on
//     as they came when they are valid (tracectx.State), else none;
//   - an invalid one (or several fields): a new trace, sampled by the
//     ratio, whose traceparent replaces it; tracestate is not passed on;
//   - none: a new trace when the ratio samples the request, sent on;
//     nothing is sent (and an orphan tracestate is not passed on)
//     otherwise.
type trace struct {
	on        bool // the proxy traces: the traced fields are its own
	send      bool // a traceparent goes to the backend
	sampled   bool // the request's span is recorded
	keepState bool // the client's tracestate fields go on
	id        tracectx.TraceID
	span      tracectx.SpanID // the proxy's
	parent    tracectx.SpanID // the client's, or zero
	pflags    byte            // the client's flags
	flags     byte            // the flags sent
	state     []byte          // a sampled request's tracestate, joined (kept across requests)
	hex       [32]byte        // id in hex, for the access log
}

// beginTrace reads the request's trace context and decides its sampling
// (see trace). It allocates nothing unless the request is sampled with a
// tracestate larger than any before.
func (x *Exchange) beginTrace(t *tracing.Tracer) {
	tr := &x.tr
	state := tr.state[:0]
	*tr = trace{on: true}
	var pv []byte
	n := 0
	for i := range x.Req.Fields {
		if f := &x.Req.Fields[i]; f.Kind == h1.HeaderTraceparent {
			pv, n = f.Value, n+1
		}
	}
	var p tracectx.Parent
	if n == 1 && tracectx.ParseParent(pv, &p) {
		tr.id, tr.parent, tr.pflags = p.Trace, p.Span, p.Flags
		tr.sampled = t.Sampler.Decide(&p, p.Trace)
		tr.send = true
		tr.flags = p.Flags & tracectx.FlagRandom
		tr.keepState = x.checkState()
	} else {
		tr.id = tracing.NewTraceID()
		tr.sampled = t.Sampler.Decide(nil, tr.id)
		tr.send = n > 0 || tr.sampled
	}
	if tr.sampled {
		tr.flags |= tracectx.FlagSampled
	}
	if tr.send || tr.sampled {
		tr.span = tracing.NewSpanID()
	}
	if tr.sampled && tr.keepState {
		for i := range x.Req.Fields {
			if f := &x.Req.Fields[i]; f.Kind == h1.HeaderTracestate && len(f.Value) > 0 {
				if len(state) > 0 {
					state = append(state, ',')
				}
				state = append(state, f.Value...)
			}
		}
	}
	tr.state = state
}

// checkState reports that the request has tracestate fields, all valid
// together.
func (x *Exchange) checkState() bool {
	var s tracectx.State
	any := false
	for i := range x.Req.Fields {
		if f := &x.Req.Fields[i]; f.Kind == h1.HeaderTracestate {
			s.Add(f.Value)
			any = true
		}
	}
	return any && s.Valid()
}

// forwardTraced reports whether a traced field (traceparent, tracestate)
// of the client goes to the backend as it is.
func (x *Exchange) forwardTraced(f *h1.Header) bool {
	return !x.tr.on || f.Kind == h1.HeaderTracestate && x.tr.keepState
}

// appendTraceparent appends the traceparent value sent to the backend.
func (x *Exchange) appendTraceparent(b []byte) []byte {
	return tracectx.AppendParent(b, x.tr.id, x.tr.span, x.tr.flags)
}

// traceID is the trace id for the access log: set when the request has a
// trace someone can find (sent on, or recorded); nil otherwise.
func (x *Exchange) traceID() []byte {
	if !x.tr.send && !x.tr.sampled {
		return nil
	}
	tracectx.AppendHex(x.tr.hex[:0], x.tr.id[:])
	return x.tr.hex[:]
}

// recordSpan hands a sampled request's span to the tracer.
func (x *Exchange) recordSpan(t *tracing.Tracer, m *meter, end time.Time, in int64) {
	tr := &x.tr
	s := tracing.Span{Trace: tr.id, ID: tr.span, Parent: tr.parent, ParentFlags: tr.pflags, State: tr.state,
		Start: m.start, End: end, Scheme: x.Set.Proto, Protocol: "1.1", Client: x.Client.Addr,
		Status: m.clientStatus(), BytesIn: in, BytesOut: m.out, Retries: m.retries}
	switch {
	case x.BytesByConn:
		s.Protocol = "2"
	case x.Req.Minor == 0:
		s.Protocol = "1.0"
	}
	s.ListenerPort, _ = strconv.Atoi(x.Ln.Port())
	if m.logFields {
		lb := m.logBuf
		s.Method, s.Host, s.Target, s.UserAgent = lb[:m.logMethod], lb[m.logMethod:m.logHost],
			lb[m.logHost:m.logTarget], lb[m.logTarget:]
	}
	if m.cluster != nil {
		s.Cluster = m.cluster.ID
	}
	if m.backend != nil {
		s.Backend, s.BackendAddr = m.backend.Config.ID, m.backend.Addr
	}
	t.Record(&s)
}
