package tracing

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/credentials"
)

// Tracer samples requests and exports the spans of the sampled ones. A nil
// *Tracer is tracing off.
type Tracer struct {
	Sampler Sampler
	tp      *sdktrace.TracerProvider
	tracer  trace.Tracer
	q       *queue
}

// Version is the instrumentation scope's version of the spans.
const Version = "1"

// New starts a tracer for c (see Config.Check; Endpoint must be set):
// the exporter does not connect before its first export. onErr, when not
// nil, is told of failed exports (from the queue's goroutine).
func New(c Config, onErr func(error)) (*Tracer, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	exp, err := newExporter(c)
	if err != nil {
		return nil, err
	}
	return NewWithExporter(c, exp, onErr), nil
}

// NewWithExporter is New with the exporter given (a test's, say); c's
// endpoint is not used.
func NewWithExporter(c Config, exp sdktrace.SpanExporter, onErr func(error)) *Tracer {
	c = c.withDefaults()
	q := newQueue(exp, c, onErr)
	res := resource.NewSchemaless(semconv.ServiceName(c.ServiceName))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()), // decided before: see Sampler
		sdktrace.WithIDGenerator(givenIDs{}),
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(q),
	)
	return &Tracer{Sampler: NewSampler(c.Ratio), tp: tp, q: q,
		tracer: tp.Tracer("github.com/sluiceproxy/sluice", trace.WithInstrumentationVersion(Version))}
}

// Shutdown exports the spans queued, within ctx, and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if err := t.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flushing spans: %w", err)
	}
	return nil
}

// Stats counts the spans exported, dropped and failed.
func (t *Tracer) Stats() Stats { return t.q.stats() }

// newExporter builds the OTLP exporter of c.
func newExporter(c Config) (sdktrace.SpanExporter, error) {
	hostPort, path, _ := CheckEndpoint(c.Endpoint, c.Protocol, c.Insecure)
	tlsConf, err := tlsConfig(c)
	if err != nil {
		return nil, err
	}
	var client otlptrace.Client
	switch c.Protocol {
	case ProtocolGRPC:
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(hostPort), otlptracegrpc.WithTimeout(c.ExportTimeout),
			otlptracegrpc.WithHeaders(c.Headers)}
		if tlsConf == nil {
			opts = append(opts, otlptracegrpc.WithInsecure())
		} else {
			opts = append(opts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tlsConf)))
		}
		client = otlptracegrpc.NewClient(opts...)
	default:
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(hostPort), otlptracehttp.WithURLPath(path),
			otlptracehttp.WithTimeout(c.ExportTimeout), otlptracehttp.WithHeaders(c.Headers)}
		if tlsConf == nil {
			opts = append(opts, otlptracehttp.WithInsecure())
		} else {
			opts = append(opts, otlptracehttp.WithTLSClientConfig(tlsConf))
		}
		client = otlptracehttp.NewClient(opts...)
	}
	// New with a background context: the clients connect lazily.
	exp, err := otlptrace.New(context.Background(), client)
	if err != nil {
		return nil, fmt.Errorf("tracing: exporter: %w", err)
	}
	return exp, nil
}

// tlsConfig is the TLS of an https endpoint, nil for http.
func tlsConfig(c Config) (*tls.Config, error) {
	if len(c.Endpoint) < 8 || c.Endpoint[:8] != "https://" {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tracing: ca_file: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tracing: ca_file %s holds no PEM certificate", c.CAFile)
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tracing: cert_file, key_file: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}
