package proxy

import (
	"log/slog"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/acme"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/staple"
	"github.com/sluiceproxy/sluice/tracing"
)

// Config holds the proxy-wide settings and the listeners to start with.
// Zero values mean the documented defaults.
type Config struct {
	// Listeners are added (and activated when Active) before any order is
	// read. A listener that fails to bind makes Run return an error.
	Listeners []order.Listener
	// Sockets, when set, is where listening sockets are opened: a
	// listener takes the socket it holds for its address, inherited from
	// the process this one replaces or from the service manager, and an
	// upgrade finds every live socket there (see listener.Sockets). Nil
	// binds every address.
	Sockets *listener.Sockets

	// MaxConnections bounds the client connections open at once across
	// all listeners. A new connection past it makes room by closing
	// connections that wait for a request, those that waited longest
	// first (see listener.Reclaimer); when every connection is busy, new
	// connections wait in the kernel's backlog. Default 10000.
	MaxConnections int
	// MaxConnectionsPerIP is the cap on the connections open at once from
	// one client IP on each listener that sets none of its own (see
	// order.Listener.MaxConnectionsPerIP). Default 0: no cap, since behind
	// a load balancer that sends no PROXY protocol header every client
	// has the balancer's address.
	MaxConnectionsPerIP int
	// FrontTimeout, BackTimeout, ConnectTimeout and RequestTimeout are the
	// defaults of listeners that do not set their own (see order.Listener).
	// Defaults 60s, 30s, 3s and 10s.
	FrontTimeout, BackTimeout, ConnectTimeout, RequestTimeout time.Duration
	// KeepAliveTimeout is the default of listeners' keep-alive timeout
	// (see order.Listener.KeepAliveTimeout): how long a client connection
	// may wait for its next request. Default 10s; FrontTimeout bounds it.
	KeepAliveTimeout time.Duration
	// TunnelTimeout is the default idle timeout of upgraded connections
	// (see order.Listener.TunnelTimeout). Default 1h.
	TunnelTimeout time.Duration
	// MaxHeadBytes and MaxHeaderFields bound request heads on listeners
	// that do not set their own. Defaults 32768 and 100.
	MaxHeadBytes, MaxHeaderFields int
	// MaxBodyBytes bounds request bodies on listeners that do not set their
	// own; 0 (the default) sets no limit.
	MaxBodyBytes int64
	// MaxIdlePerBackend bounds the idle keep-alive connections kept to each
	// backend. Default 1024; negative disables pooling. It does not bound
	// the connections open to a backend, which follow the requests in
	// flight: a bound below the usual concurrency closes connections after
	// their answer only to dial new ones for the next requests (at 500
	// busy client connections, a bound of 64 cost a connect for every
	// fourth request). The pool hands out its newest connection first, so
	// after a burst the surplus stays unused and closes after
	// IdleBackendTimeout.
	MaxIdlePerBackend int
	// IdleBackendTimeout is how long a pooled backend connection may stay
	// idle (an HTTP/2 one: with no stream open) before it is closed.
	// Default 10s; keep it under the backends'
	// own keep-alive timeout.
	IdleBackendTimeout time.Duration
	// ParkAfter is how long an idle client connection keeps its goroutine
	// while it waits for its next request; past it the connection waits in
	// an epoll set (Linux) and costs no goroutine stack, at a few
	// microseconds of CPU to park and wake. Default 100ms; negative never
	// parks.
	ParkAfter time.Duration
	// BulkBuffers bounds the 64 KiB buffers long response bodies are copied
	// through, in use at once (a download holds one until its body is
	// copied, however slowly its client reads); past it a body is copied
	// through its exchange's 16 KiB buffer. Default 512 (32 MiB);
	// negative: none, every body goes through 16 KiB.
	BulkBuffers int
	// Resolver resolves the host names of backend addresses when a
	// backend is added and every ResolveInterval after (default
	// net.DefaultResolver and 30s); see package backend's resolve.go.
	Resolver        backend.Resolver
	ResolveInterval time.Duration
	// Health sets passive health: how many failed connects in a row take a
	// backend down and how long it waits before a trial request (see
	// package health; zero fields mean its defaults: 3, 1s doubling up to
	// 30s).
	Health health.Policy
	// Metrics receives the counts of every listener, cluster and backend
	// (the proxy registers and unregisters them as they come and go); the
	// caller exports it (Prometheus, statsd). When nil, nothing is counted
	// and the metrics order is refused.
	Metrics *metrics.Registry
	// AccessLog receives one line per request and one per tcp connection;
	// nil writes none. The caller owns it: it opens it before Run and
	// closes it after.
	AccessLog *accesslog.Logger
	// Tracer, when set, samples HTTP requests, sends a W3C traceparent
	// naming the proxy's span to backends and exports sampled requests'
	// spans (package tracing); nil traces nothing and passes traceparent
	// and tracestate on as they came. The caller owns it: it creates it
	// before Run and shuts it down (flushing the spans) after Run returns.
	Tracer *tracing.Tracer
	// ShutdownGrace is how long Run lets exchanges in flight finish once
	// its context is done or the request channel is closed; then it closes
	// what remains. Default 10s.
	ShutdownGrace time.Duration
	// OCSP tunes the fetching of OCSP responses for stapling (timeout per
	// fetch, retry backoff, clock); zero fields take staple's defaults
	// (10 s, 1 minute doubling to 1 hour). See order.ListenerTLS.OCSPStapling.
	OCSP staple.Options
	// ACME, when set, is the ACME CA and account that https listeners
	// with acme = true get their certificates from (see acme.Options and
	// proxy/acme.go); nil: such listeners get none (reported). Its
	// Logger defaults to Logger.
	ACME *acme.Options
	// Logger receives the proxy's logs. Default slog.Default().
	Logger *slog.Logger
	// LogLevel, when set, is the level variable of Logger's handler: the
	// logging order changes it. When nil that order is refused.
	LogLevel *slog.LevelVar
	// SavedState, when set, is the file the configuration is kept in:
	// after every order that changes it (a batch counts once), before the
	// order is answered, the whole configuration is written there as a
	// save_state would (the state dump with private keys, mode 0600,
	// through a temporary file synced and renamed into place, the folder
	// synced). A failed write is logged, counted in the status
	// (saved_state_errors) and said in the order's answer, which is still
	// ok: the order was applied. The caller loads the file at start (see
	// daemon); Run does not read it.
	SavedState string
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.FrontTimeout, 60*time.Second)
	def(&c.BackTimeout, 30*time.Second)
	def(&c.ConnectTimeout, 3*time.Second)
	def(&c.RequestTimeout, 10*time.Second)
	def(&c.KeepAliveTimeout, 10*time.Second)
	def(&c.IdleBackendTimeout, 10*time.Second)
	if c.BulkBuffers == 0 {
		c.BulkBuffers = exchange.DefaultBulkMax
	}
	if c.ParkAfter == 0 {
		c.ParkAfter = 100 * time.Millisecond
	}
	def(&c.TunnelTimeout, time.Hour)
	if c.ShutdownGrace < 0 {
		c.ShutdownGrace = 0
	} else if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 10 * time.Second
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 10000
	}
	c.MaxConnectionsPerIP = max(c.MaxConnectionsPerIP, 0)
	if c.MaxHeadBytes <= 0 {
		c.MaxHeadBytes = 32 << 10
	}
	if c.MaxHeaderFields <= 0 {
		c.MaxHeaderFields = 100
	}
	if c.MaxIdlePerBackend == 0 {
		c.MaxIdlePerBackend = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
