// Package h2 is the HTTP/2 front of https listeners. Each stream is handed,
// as a protocol-neutral request, to the same pipeline as an HTTP/1.1
// request (package exchange: the same decisions, header rewriting, backend
// pools, answers and accounting), and what the pipeline gives back is
// written as HTTP/2.
//
// The HTTP/2 protocol itself (framing, HPACK, flow control, stream limits,
// GOAWAY) is the standard library's server (net/http), run over the
// decrypted connection in its unencrypted-HTTP/2 mode: the TLS handshake
// and ALPN are done by package handshake, and between the two sits a
// guard that counts frame headers and closes connections that flood (see
// Limits). docs/tls.md says why this server and what it refuses by itself.
package h2

import (
	"context"
	"crypto/tls"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/listener"
)

// Server serves the HTTP/2 connections of one https listener. Its methods
// are safe for concurrent use.
type Server struct {
	env   *exchange.Env
	ln    *listener.HTTP
	lim   Limits
	conns *sync.WaitGroup // the proxy's; counts the goroutines Server starts

	mu   sync.Mutex
	cur  *generation   // accepting connections; nil until the first one
	gens []*generation // every generation not yet finished, cur included
}

// generation is one net/http server with the listener feeding it; a
// drained generation is never reused.
type generation struct {
	hs *http.Server
	l  *chanListener
}

// NewServer returns the HTTP/2 side of listener ln. conns counts the
// goroutines it starts (serve loops, graceful shutdowns); the proxy waits
// for it.
func NewServer(env *exchange.Env, ln *listener.HTTP, lim Limits, conns *sync.WaitGroup) *Server {
	return &Server{env: env, ln: ln, lim: lim.withDefaults(), conns: conns}
}

// Serve serves an established TLS connection that negotiated "h2", with
// served the certificate of its handshake, until it is closed. hdr, when
// not nil, is the client's PROXY protocol header (its source, when it has
// addresses, is the client). It returns once the connection is closed and
// the handlers of its streams are done.
func (s *Server) Serve(tc *tls.Conn, served *cert.Cert, hdr *proxyproto.Header) {
	c := newConn(tc, served, s.lim, s.ln.M)
	if lm := s.ln.M; lm != nil {
		lm.ConnectionsAccepted.Inc()
		lm.ConnectionsActive.Inc()
		defer lm.ConnectionsActive.Dec()
	}
	if hdr != nil {
		c.cl.ProxyHeader = hdr
		if hdr.HasAddrs() {
			c.cl.Addr = netip.AddrPortFrom(hdr.Source.Addr().Unmap(), hdr.Source.Port())
		}
	}
	g := s.generation()
	if g == nil || !g.l.deliver(c) {
		c.Close()
		return
	}
	<-c.done
	c.streams.closeAndWait()
}

// generation returns the accepting generation, starting one if needed;
// nil while the listener is closing.
func (s *Server) generation() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln.Closing() {
		return nil
	}
	if s.cur != nil {
		return s.cur
	}
	set := s.ln.Settings()
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	g := &generation{l: newChanListener(s.ln.Addr)}
	g.hs = &http.Server{
		Handler:        s,
		Protocols:      &protos,
		MaxHeaderBytes: set.Limits.MaxHeadBytes,
		IdleTimeout:    set.KeepAliveTimeout,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams:          s.lim.MaxStreams,
			MaxReadFrameSize:              maxFrame,
			MaxDecoderHeaderTableSize:     64 << 10,
			MaxEncoderHeaderTableSize:     64 << 10,
			MaxReceiveBufferPerConnection: 1 << 20,
			MaxReceiveBufferPerStream:     1 << 20,
			WriteByteTimeout:              set.FrontTimeout,
		},
		ConnContext: func(ctx context.Context, nc net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, nc)
		},
		ErrorLog: log.New(logWriter{s.env.Log}, "", 0),
	}
	s.cur = g
	s.gens = append(s.gens, g)
	s.conns.Add(1)
	go func() {
		defer s.conns.Done()
		_ = g.hs.Serve(g.l) // returns when the listener closes
	}()
	return g
}

// Drain stops taking connections and sends GOAWAY on those open: streams
// in flight finish, then each connection closes. It does not wait. A later
// connection (the listener activated again) starts a new generation.
func (s *Server) Drain() {
	s.mu.Lock()
	g := s.cur
	s.cur = nil
	s.mu.Unlock()
	if g == nil {
		return
	}
	s.conns.Add(1)
	go func() {
		defer s.conns.Done()
		_ = g.hs.Shutdown(context.Background()) // sends GOAWAY, waits for the streams
		s.forget(g)
	}()
}

// CloseAll closes every connection now (hard stop).
func (s *Server) CloseAll() {
	s.mu.Lock()
	gens := append([]*generation(nil), s.gens...)
	s.cur = nil
	s.mu.Unlock()
	for _, g := range gens {
		_ = g.hs.Close()
		s.forget(g)
	}
}

func (s *Server) forget(g *generation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.gens {
		if x == g {
			s.gens = append(s.gens[:i], s.gens[i+1:]...)
			return
		}
	}
}

type connKey struct{}

// chanListener is the net.Listener a generation's server accepts from:
// connections are handed to it after their TLS handshake.
type chanListener struct {
	addr   net.Addr
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener(addr string) *chanListener {
	a, _ := net.ResolveTCPAddr("tcp", addr)
	return &chanListener{addr: a, ch: make(chan net.Conn), closed: make(chan struct{})}
}

// deliver hands c to the server; false once the listener is closed.
func (l *chanListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// logWriter sends net/http's error log lines to the proxy's log at debug
// level: they are about misbehaving clients.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Debug("http2 server", "message", string(p))
	return len(p), nil
}
