package proxy

import (
	"net"
	"net/netip"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/session"
)

// Connection slots: max_connections is listener.Slots, shared by every
// listener. When a new connection finds every slot taken, the accept loop
// calls reclaimIdle, which closes the http and https connections that have
// waited longest for a request (listener.Reclaimer); max_connections_per_ip
// keeps one client from taking every slot in the first place.

// reclaimIdle makes room in a full slot table: it closes idle client
// connections, oldest first, and returns how many. It runs in accept
// loops, one call at a time.
func (p *proxy) reclaimIdle() int {
	n, longest := p.reclaimer.Reclaim()
	if n > 0 {
		p.cfg.Logger.Debug("max_connections reached: closed idle client connections",
			"closed", n, "longest_idle", longest)
	}
	return n
}

// limitPerIP gives the listener its per-IP connection counter when it has
// a cap (its own, or the proxy's default).
func (p *proxy) limitPerIP(rl *runListener, l order.Listener) {
	capIP := l.MaxConnectionsPerIP
	if capIP == 0 {
		capIP = p.cfg.MaxConnectionsPerIP
	}
	if capIP <= 0 {
		return
	}
	rl.perIP = listener.NewPerIP(capIP, &p.refused)
	if rl.tcp != nil {
		rl.tcp.Admit = rl.perIP // counted after the PROXY header, by the session
	}
}

// serveHTTPPerIP is the per-connection function of an http listener with
// a per-IP cap: the PROXY header first when the listener expects one (its
// source is the client), then the count, then the session.
func (p *proxy) serveHTTPPerIP(rl *runListener) listener.Handler {
	return func(c net.Conn, release func()) {
		hdr, ok := p.proxyHeader(rl, c, release)
		if !ok {
			return
		}
		release, ok = p.admit(rl, c, hdr, release)
		if !ok {
			return
		}
		if hdr != nil {
			session.ServeProxied(p.env, rl.shared, c, hdr, release)
		} else {
			session.Serve(p.env, rl.shared, c, release)
		}
	}
}

// proxyHeader reads the client's PROXY protocol header from c when the
// listener expects one (nil when it does not). On a missing or bad header
// it closes c, calls release and reports false.
func (p *proxy) proxyHeader(rl *runListener, c net.Conn, release func()) (*proxyproto.Header, bool) {
	if !rl.shared.Settings().ExpectProxy {
		return nil, true
	}
	h, err := session.ReadProxyHeader(p.env, rl.shared, c)
	if err != nil {
		c.Close()
		release()
		return nil, false
	}
	return h, true
}

// admit counts c against the listener's per-IP cap (a no-op without one).
// Admitted, it returns the release to hand on, which gives the count back
// before calling release. Refused, c is closed, release called, and it
// reports false.
func (p *proxy) admit(rl *runListener, c net.Conn, hdr *proxyproto.Header, release func()) (func(), bool) {
	lim := rl.perIP
	if lim == nil {
		return release, true
	}
	ip := clientIP(c, hdr)
	if !lim.Acquire(ip) {
		p.cfg.Logger.Debug("connection refused: max_connections_per_ip reached", "listener", rl.shared.Addr,
			"client", ip.String(), "max_connections_per_ip", lim.Max())
		c.Close()
		release()
		return nil, false
	}
	return func() {
		lim.Release(ip)
		release()
	}, true
}

// clientIP is the client's IP: the source of its PROXY header when it has
// addresses, else the connection's peer.
func clientIP(c net.Conn, hdr *proxyproto.Header) netip.Addr {
	if hdr != nil && hdr.HasAddrs() {
		return hdr.Source.Addr().Unmap()
	}
	if pc, ok := c.(interface{ Peer() netip.AddrPort }); ok {
		return pc.Peer().Addr().Unmap() // a sock.Stream
	}
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
