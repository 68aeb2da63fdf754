package session

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"golang.org/x/crypto/bcrypt"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/guard"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
	"github.com/sluiceproxy/sluice/tracing"
)

// rawOrigin answers every request head with a fixed response, allocating
// nothing per request, so that a benchmark's allocations are the proxy's:
// "hello, world\n", or a body of bodySize bytes when it is not 0.
func rawOrigin(b testing.TB, bodySize int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n")
	if bodySize > 0 {
		resp = fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n", bodySize)
		resp = append(resp, bytes.Repeat([]byte("0123456789abcdef"), bodySize/16+1)[:bodySize]...)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 8192)
				n := 0
				for {
					k, err := c.Read(buf[n:])
					if err != nil {
						return
					}
					n += k
					for {
						i := bytes.Index(buf[:n], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						if _, err := c.Write(resp); err != nil {
							return
						}
						n = copy(buf, buf[i+4:n])
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkProxyKeepAlivePolicy is BenchmarkProxyKeepAlive with every
// traffic policy configured and letting the request through.
func BenchmarkProxyKeepAlivePolicy(b *testing.B) {
	roundTrip := benchProxy(b, benchOptions{parkAfter: time.Second, policy: true})
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		roundTrip()
	}
	reportCPU(b, cpu)
}

// BenchmarkProxyKeepAlive measures one request through the proxy on a
// keep-alive connection, with a pooled backend connection: the whole hot
// path, from the client's request bytes to its response bytes.
func BenchmarkProxyKeepAlive(b *testing.B) {
	roundTrip := keepAliveProxy(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		roundTrip()
	}
	reportCPU(b, cpu)
}

// processCPU is the process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start, of the whole process
// (client, proxy and origin): steadier than wall time on a busy machine.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkProxyKeepAliveBulk is BenchmarkProxyKeepAlive with 64 KiB
// responses: the body copied from backend to client.
func BenchmarkProxyKeepAliveBulk(b *testing.B) {
	roundTrip := benchProxy(b, benchOptions{parkAfter: time.Second, bodySize: 64 << 10})
	b.ReportAllocs()
	b.SetBytes(64 << 10)
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		roundTrip()
	}
	reportCPU(b, cpu)
}

// BenchmarkProxyKeepAliveObserved is BenchmarkProxyKeepAlive with metrics
// counted, and with an access log line per request as well: what watching
// costs.
func BenchmarkProxyKeepAliveObserved(b *testing.B) {
	for _, opt := range []benchOptions{{metrics: true}, {metrics: true, accessLog: true}} {
		name := "metrics"
		if opt.accessLog {
			name += "+accesslog"
		}
		b.Run(name, func(b *testing.B) {
			opt.parkAfter = time.Second
			roundTrip := benchProxy(b, opt)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for b.Loop() {
				roundTrip()
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkProxyKeepAliveTraced is BenchmarkProxyKeepAlive with tracing
// on and the request not sampled (its traceparent's flag): what tracing
// costs the 99% of requests a 1% ratio does not sample.
func BenchmarkProxyKeepAliveTraced(b *testing.B) {
	roundTrip := benchProxy(b, benchOptions{parkAfter: time.Second, tracing: true})
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		roundTrip()
	}
	reportCPU(b, cpu)
}

// discardSpans is a span exporter that drops everything.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// BenchmarkProxyConnPerRequest measures a request on a new client
// connection each time (Connection: close), with a pooled backend
// connection: accept, session setup, exchange, close.
func BenchmarkProxyConnPerRequest(b *testing.B) {
	addr := benchProxyAddr(b, benchOptions{parkAfter: time.Second})
	req := []byte("GET /index.html HTTP/1.1\r\nHost: bench.example.com\r\nConnection: close\r\n\r\n")
	buf := make([]byte, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := c.Read(buf); err != nil {
				break // the proxy closes after the response
			}
		}
		c.Close()
	}
	reportCPU(b, cpu)
}

// BenchmarkProxyKeepAliveParked is BenchmarkProxyKeepAlive with every wait
// for the next request parked in the poller: the cost of a park and a wake
// on top of a request.
func BenchmarkProxyKeepAliveParked(b *testing.B) {
	roundTrip := keepAliveProxyParking(b, time.Nanosecond)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		roundTrip()
	}
	reportCPU(b, cpu)
}

// TestHotPathAllocatesNothing: in steady state, a request through the
// proxy (parse, route, pick, pooled backend connection, rewrite, stream)
// allocates nothing anywhere in the process.
func TestHotPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; run without -race")
	}
	for _, opt := range []benchOptions{{}, {sticky: true}, {metrics: true, accessLog: true}, {policy: true}, {bodySize: 64 << 10}, {bodySize: 1 << 20},
		{tracing: true, metrics: true, accessLog: true}} {
		opt.parkAfter = time.Second
		roundTrip := benchProxy(t, opt)
		if avg := testing.AllocsPerRun(2000, roundTrip); avg > 0.05 {
			t.Fatalf("%+v: %.3f allocations per proxied request, want 0", opt, avg)
		}
	}
}

// keepAliveProxy starts a proxy in front of a raw origin and returns a
// function doing one request on a warm keep-alive connection.
func keepAliveProxy(b testing.TB) func() {
	return benchProxy(b, benchOptions{parkAfter: time.Second})
}

// keepAliveProxyParking is keepAliveProxy with the Env's ParkAfter set.
func keepAliveProxyParking(b testing.TB, parkAfter time.Duration) func() {
	return benchProxy(b, benchOptions{parkAfter: parkAfter})
}

// benchOptions vary the proxy of benchProxy.
type benchOptions struct {
	parkAfter time.Duration
	// sticky makes the cluster sticky and the request carry cookies, the
	// sticky one (stripped before the backend) among them.
	sticky bool
	// metrics counts into a registry's sets; accessLog writes a line per
	// request (to io.Discard).
	metrics, accessLog bool
	// policy sets every traffic policy that lets the request through:
	// basic auth (the request's credentials valid), rate limits on the
	// route and the cluster, maglev, a retry policy and compression (the
	// 13-byte answer under its min_size).
	policy bool
	// configure, when set, changes the listener and cluster once they are
	// made (route_bench_test.go: the routing and rewrites of issue 16).
	configure func(ln *listener.HTTP, c *backend.Cluster)
	// bodySize is the origin's response body length; 0 for the 13 bytes
	// of "hello, world\n".
	bodySize int
	// tracing traces with a ratio of 0 (spans to nowhere), the request
	// carrying an unsampled traceparent and a tracestate: the path of
	// every request that is not sampled (parsed, a child id sent on).
	tracing bool
}

// benchProxy starts a proxy in front of a raw origin and returns a
// function doing one request on a warm keep-alive connection.
func benchProxy(b testing.TB, opt benchOptions) func() {
	conn, err := net.Dial("tcp", benchProxyAddr(b, opt))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	req := []byte("GET /index.html HTTP/1.1\r\nHost: bench.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	if opt.policy {
		req = []byte("GET /index.html HTTP/1.1\r\nHost: bench.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n" +
			"Authorization: Basic YWxpY2U6Y29ycmVjdCBob3JzZQ==\r\nAccept-Encoding: gzip, br\r\n\r\n")
	}
	if opt.sticky {
		req = []byte("GET /index.html HTTP/1.1\r\nHost: bench.example.com\r\nUser-Agent: bench\r\n" +
			"Cookie: theme=dark; SLUICEBALANCEID=b; lang=fr\r\nAccept: */*\r\n\r\n")
	}
	if opt.tracing {
		req = []byte("GET /index.html HTTP/1.1\r\nHost: bench.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n" +
			"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\r\ntracestate: rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\r\n\r\n")
	}
	want := 13
	if opt.bodySize > 0 {
		want = opt.bodySize
	}
	buf := make([]byte, want+4096)
	roundTrip := func() {
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			k, err := conn.Read(buf[n:])
			if err != nil {
				b.Fatal(err)
			}
			n += k
			if i := bytes.Index(buf[:n], []byte("\r\n\r\n")); i >= 0 && n >= i+4+want {
				return
			}
		}
	}
	for range 100 { // warm the pools
		roundTrip()
	}
	return roundTrip
}

// benchProxyAddr starts a proxy in front of a raw origin and returns its
// address; it stops when the test ends.
func benchProxyAddr(b testing.TB, opt benchOptions) string {
	origin := rawOrigin(b, opt.bodySize)
	env := NewEnv(exchange.NewEnv(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env.ParkAfter = opt.parkAfter
	ln := listener.NewHTTP("127.0.0.1:0", &listener.Settings{FrontTimeout: time.Minute, BackTimeout: time.Minute,
		ConnectTimeout: time.Second, RequestTimeout: time.Minute, Proto: "http"})
	cs := &backend.Settings{Cluster: order.Cluster{ID: "c", StickySession: opt.sticky}}
	rt := &listener.Route{}
	if opt.policy {
		cs.LoadBalancing = order.Maglev
		cs.RateLimit = &order.RateLimit{Rate: order.MaxRate, Key: order.LimitRoute}
		cs.Retry = &order.Retry{OnStatus: []int{503}}
		cs.Compression = &order.Compression{}
		cs.Policy = backend.NewPolicy(&cs.Cluster, nil)
		hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
		rt.Auth = guard.NewAuth(&order.BasicAuth{Users: map[string]string{"alice": string(hash)}})
		rt.Limit = guard.NewLimiter(&order.RateLimit{Rate: order.MaxRate})
	}
	c := backend.NewCluster(cs, nil)
	be := backend.NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: origin}, 4)
	if opt.metrics {
		reg := metrics.NewRegistry()
		ln.M, c.M, be.M = reg.AddListener(ln.Addr), reg.AddCluster("c"), reg.AddBackend("c", "b")
	}
	if opt.accessLog {
		al, err := accesslog.New(accesslog.Config{Output: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { al.Close() })
		env.X.AccessLog = al
	}
	if opt.tracing {
		tr := tracing.NewWithExporter(tracing.Config{Ratio: 0}, discardSpans{}, nil)
		b.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
		env.X.Tracer = tr
	}
	c.Add(be)
	tbl, _ := router.New[*listener.Route]().Add(router.Rule[*listener.Route]{Hostname: "bench.example.com", Target: rt})
	rt.Cluster = c
	ln.SetRoutes(tbl)
	if opt.configure != nil {
		opt.configure(ln, c)
	}
	sock, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := sock.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go Serve(env, ln, conn, wg.Done)
		}
	}()
	b.Cleanup(func() {
		sock.Close()
		ln.Drain()
		ln.CloseAll()
		wg.Wait()
		env.Close()
		c.Close()
	})
	return sock.Addr().String()
}
