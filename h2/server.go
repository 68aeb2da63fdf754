// Package h2 serves HTTP/2 on https listeners. Each stream goes through
// the same routing table, default answers and backend pools as an
// HTTP/1.1 request, and is forwarded to its backend as HTTP/1.1 (pooled
// keep-alive connections, the same forwarded headers and request id).
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
	"github.com/sluiceproxy/sluice/session"
)

// Server serves the HTTP/2 connections of one https listener. Its methods
// are safe for concurrent use.
type Server struct {
	env   *session.Env
	ln    *session.Listener
	lim   Limits
	conns *sync.WaitGroup // the proxy's; counts the goroutines Server starts

	mu   sync.Mutex
	cur  *generation   // accepting connections; nil until the first one
	gens []*generation // every generation not yet finished, cur included
	bufs sync.Pool     // *[]byte of bufSize
}

// generation is one net/http server with the listener feeding it; a
// drained generation is never reused.
type generation struct {
	hs *http.Server
	l  *chanListener
}

// bufSize is the size of the buffers streams read backend responses and
// write request heads with.
const bufSize = 16 << 10

// NewServer returns the HTTP/2 side of listener ln. conns counts the
// goroutines it starts (serve loops, graceful shutdowns); the proxy waits
// for it.
func NewServer(env *session.Env, ln *session.Listener, lim Limits, conns *sync.WaitGroup) *Server {
	s := &Server{env: env, ln: ln, lim: lim.withDefaults(), conns: conns}
	s.bufs.New = func() any { b := make([]byte, bufSize); return &b }
	return s
}

// Serve serves an established TLS connection that negotiated "h2", with
// served the certificate of its handshake, until it is closed. client, when
// valid, is the client's address from a PROXY protocol header (else the
// connection's peer is the client). It returns once the connection is
// closed and the handlers of its streams are done.
func (s *Server) Serve(tc *tls.Conn, served *cert.Cert, client netip.Addr) {
	c := newConn(tc, served, s.lim)
	if client.IsValid() {
		c.client = netip.AddrPortFrom(client, 0)
		c.clientIP = client.String()
		c.forwardedFor = session.ForwardedNode(c.clientIP)
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
