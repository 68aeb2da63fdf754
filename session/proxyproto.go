package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
)

// readProxyHeader reads the client's PROXY protocol header (v1 or v2)
// within the request timeout, exactly, so the first request's bytes stay
// in the socket. When the header carries addresses, its source becomes the
// client address of every request (X-Forwarded-For, Forwarded, logs); a
// LOCAL or UNKNOWN header keeps the connection's own. It logs and reports
// false when the header is missing or malformed.
func (s *Session) readProxyHeader() bool {
	set := s.ln.Settings()
	bufp := s.env.getBuf()
	defer s.env.putBuf(bufp)
	h := new(proxyproto.Header)
	_ = s.conn.SetReadDeadline(time.Now().Add(set.RequestTimeout))
	if _, err := proxyproto.Read(s.conn, (*bufp)[:proxyproto.DefaultMaxV2], h); err != nil {
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
		s.env.Log.Log(context.Background(), level, "connection closed: bad PROXY protocol header",
			"listener", s.ln.Addr, "peer", s.conn.RemoteAddr().String(), "error", reason)
		return false
	}
	h.TLVs = nil // they alias the buffer, which goes back to the pool
	s.proxyHdr = h
	if h.HasAddrs() {
		s.clientIP = h.Source.Addr().Unmap().String()
		s.forwardedFor = forwardedNode(s.clientIP)
	}
	return true
}

// sendProxyHeader writes a PROXY protocol v2 header naming the client to a
// new backend connection of a send_proxy cluster: the addresses of the
// client's own header when it had some, else the connection's.
func (s *Session) sendProxyHeader(bc *backend.Conn) error {
	h := proxyproto.Header{Command: proxyproto.Proxy}
	if s.proxyHdr != nil && s.proxyHdr.HasAddrs() {
		h.Source, h.Dest = s.proxyHdr.Source, s.proxyHdr.Dest
	} else {
		h.Source, h.Dest = tcpAddrPort(s.conn.RemoteAddr()), tcpAddrPort(s.conn.LocalAddr())
	}
	var buf [64]byte
	_ = bc.SetWriteDeadline(time.Now().Add(s.set.BackTimeout))
	_, err := bc.Write(proxyproto.AppendV2(buf[:0], &h))
	return err
}

// tcpAddrPort converts a TCP address, IPv4-mapped addresses unmapped; the
// zero AddrPort for other kinds (the header then carries no address).
func tcpAddrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
