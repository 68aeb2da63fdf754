package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/listener"
)

// readProxyHeader reads the client's PROXY protocol header from its connection
// and uses it (see ReadProxyHeader and useProxyHeader). It reports false
// when the connection must close.
func (s *Session) readProxyHeader() bool {
	h, err := ReadProxyHeader(s.env, s.ln, s.cl.Conn)
	if err != nil {
		return false
	}
	s.useProxyHeader(h)
	return true
}

// ReadProxyHeader reads a PROXY protocol header (v1 or v2) from conn
// within the listener's request timeout, exactly: the bytes after it (a
// request, or a TLS handshake) stay in the socket. Its TLVs are not kept.
// A missing or malformed header is logged (at warn level; a connection
// closed before its first byte at debug level) and returned as an error;
// the caller then closes conn. An https listener calls it on the raw
// connection before the TLS handshake and hands the header to
// ServeProxied.
func ReadProxyHeader(env *Env, ln *listener.HTTP, conn net.Conn) (*proxyproto.Header, error) {
	set := ln.Settings()
	bufp := env.getBuf()
	defer env.putBuf(bufp)
	h := new(proxyproto.Header)
	_ = conn.SetReadDeadline(time.Now().Add(set.RequestTimeout))
	if _, err := proxyproto.Read(conn, (*bufp)[:proxyproto.DefaultMaxV2], h); err != nil {
		reason := err.Error()
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			reason = "no complete header within the request timeout"
		case !errors.Is(err, proxyproto.ErrMalformed):
			reason = "connection ended before a complete header: " + reason
		}
		level := slog.LevelWarn
		if err == io.EOF {
			level = slog.LevelDebug // connect and close: a port check, nothing wrong
		}
		env.Log.Log(context.Background(), level, "connection closed: bad PROXY protocol header",
			"listener", ln.Addr, "peer", conn.RemoteAddr().String(), "error", reason)
		return nil, fmt.Errorf("reading the PROXY protocol header: %w", err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	h.TLVs = nil // they alias the buffer, which goes back to the pool
	return h, nil
}

// useProxyHeader makes the header's source, when it has addresses, the
// client address of every request (X-Forwarded-For, Forwarded, logs, the
// header sent to send_proxy clusters); a LOCAL or UNKNOWN header keeps the
// connection's own.
func (s *Session) useProxyHeader(h *proxyproto.Header) {
	s.cl.ProxyHeader = h
	if h.HasAddrs() {
		s.cl.Addr = netip.AddrPortFrom(h.Source.Addr().Unmap(), h.Source.Port())
	}
}
