// Package tracing is the proxy's distributed tracing: the sampling
// decision for a request (Decide, pure: parent-based, else a ratio of
// trace ids, as OpenTelemetry's ParentBased(TraceIDRatioBased) decides),
// ids for new spans and traces, and the export of a sampled request's
// span to an OpenTelemetry collector over OTLP (HTTP/protobuf or gRPC)
// through the official Go SDK, behind a bounded queue whose drops are
// counted.
//
// The exchange stage owns the W3C header handling (internal/tracectx
// parses, package exchange decides which fields go on); this package
// knows nothing of HTTP framing. A nil *Tracer is tracing off: the stage
// checks it once per request and does nothing else.
//
// A Tracer is safe for concurrent use. Its one goroutine (the queue's
// exporter) is owned by the Tracer and ends in Shutdown, which exports
// what is queued first.
package tracing
