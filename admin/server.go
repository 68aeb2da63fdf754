package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// Handler serves one order and returns its final answer; progress sends a
// "processing" answer (a message, a content such as an event, or both)
// before it returns. It is the command socket's handler with the request
// id made explicit: the daemon gives the same function to both.
type Handler func(ctx context.Context, req order.Request, progress func(message string, content *order.Content)) order.Response

// Defaults of Config.
const (
	// DefaultMaxBodyBytes bounds a request body, as the command socket
	// bounds a request line.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultStreamBuffer is how many events or summaries wait for a slow
	// stream client before it is disconnected.
	DefaultStreamBuffer = 256
	// DefaultWriteTimeout bounds one write to a stream client.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxStreams bounds the streams open at once; more are
	// answered 503.
	DefaultMaxStreams = 64
	// DefaultStreamInterval is the period of /api/metrics/stream.
	DefaultStreamInterval = time.Second
)

// Config is what a Server needs. Handler is required; zero values
// elsewhere mean the defaults.
type Config struct {
	// Handler serves every order (see Handler).
	Handler Handler
	// Tokens are the accepted bearer tokens. With none, no token is asked:
	// allowed only on a loopback address (see CheckAddress).
	Tokens Tokens
	// Prometheus, when set, is served at /api/metrics/prometheus (the
	// registry's text exposition); nil answers 404.
	Prometheus http.Handler
	// UI is served at / (GET): the dashboard's files. Nil serves a
	// placeholder page.
	UI fs.FS
	// Logger gets the server's own errors; nil discards them.
	Logger *slog.Logger
	// Version is the version /api/openapi.json states; default "dev".
	Version string

	MaxBodyBytes   int64         // DefaultMaxBodyBytes
	StreamBuffer   int           // DefaultStreamBuffer
	WriteTimeout   time.Duration // DefaultWriteTimeout
	MaxStreams     int           // DefaultMaxStreams
	StreamInterval time.Duration // DefaultStreamInterval
}

// Server is the admin HTTP API on one listener. Create it with New, run
// Serve, stop it with Close.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	patterns []string // every pattern registered on mux, for the OpenAPI check
	http     *http.Server
	csrf     *http.CrossOriginProtection

	ctx    context.Context // ends on Close: streams stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // stream goroutines and requests in flight
	mu     sync.Mutex
	closed bool

	conns   conns // open connections, for Close
	openAPI openAPI
	streams atomic.Int64 // open now
	seq     atomic.Uint64
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("admin: no handler")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.MaxBodyBytes = or(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.StreamBuffer = or(cfg.StreamBuffer, DefaultStreamBuffer)
	cfg.WriteTimeout = or(cfg.WriteTimeout, DefaultWriteTimeout)
	cfg.MaxStreams = or(cfg.MaxStreams, DefaultMaxStreams)
	cfg.StreamInterval = or(cfg.StreamInterval, DefaultStreamInterval)
	cfg.Version = or(cfg.Version, "dev")
	if cfg.UI == nil {
		cfg.UI = placeholderFS()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), csrf: http.NewCrossOriginProtection()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ConnState:         s.conns.track,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Serve answers on ln until Close; it returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		ln.Close()
		return nil
	}
	if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: serving %s: %w", ln.Addr(), err)
	}
	return nil
}

// closeGrace bounds how long Close lets the requests in flight finish.
const closeGrace = 2 * time.Second

// Close stops the streams and the listener, lets the requests in flight
// write their answers (for at most closeGrace: the answer to a shutdown
// order asked over the API among them), closes every connection, and
// waits for the requests, the streams' goroutines and the connections'
// goroutines (at most 2 s for those). An order being applied is not
// interrupted: its request ends when it is answered.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	err := s.http.Shutdown(ctx)
	cancel()
	if err != nil {
		err = s.http.Close()
	}
	s.wg.Wait()
	s.conns.wait(2 * time.Second) // net/http's lingering closes (at most 500 ms each)
	return err
}

// ServeHTTP authenticates the request and serves it; every request is
// counted in s.wg so that Close waits for it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed { // Close waits: no request may start after it
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, order.CodeUnavailable, "the admin API is closing")
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !s.admit(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}
