package proxy

import (
	"errors"
	"net"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/h2"
	"github.com/sluiceproxy/sluice/handshake"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/session"
)

// newTLS gives an https listener its TLS side: the handshake server, with
// no certificate until its PublishCertificates effect, and its HTTP/2
// server.
func (p *proxy) newTLS(rl *runListener, l order.Listener) {
	hs, err := handshake.NewServer(p.tlsSettings(l), p.tickets)
	if err != nil { // the state checked them: a bug
		p.cfg.Logger.Error("proxy: TLS settings refused after the state accepted them", "listener", l.Address, "error", err)
		hs, _ = handshake.NewServer(handshake.Settings{}, p.tickets)
	}
	hs.SetIndex(cert.NewIndex(nil, nil))
	rl.tls.Store(hs)
	lim := rl.shared.Settings().Limits
	rl.h2 = h2.NewServer(p.xenv, rl.shared, h2.Limits{MaxHeaderFields: lim.MaxHeaderFields, MaxHeaderBlock: lim.MaxHeadBytes}, &p.conns)
	rl.h2.SetParking(h2.Parking{Poller: p.env.Poller(), After: p.env.ParkAfter})
}

// tlsSettings are the handshake settings of an https listener.
func (p *proxy) tlsSettings(l order.Listener) handshake.Settings {
	return handshake.Settings{Versions: l.TLSVersions, CipherSuites: l.CipherSuites, Curves: l.Curves,
		TicketLifetime: l.SessionTicketLifetime.D(), ClientAuth: l.ClientAuth, ClientCA: l.ClientCA,
		ALPNChallenge: p.alpnChallenge(l)}
}

// swapTLS gives an https listener a TLS server with new TLS settings
// (versions, suites, curves, ticket lifetime) and the same certificates;
// handshakes in progress finish on the old one.
func (p *proxy) swapTLS(rl *runListener, l order.Listener) {
	hs, err := handshake.NewServer(p.tlsSettings(l), p.tickets)
	if err != nil { // the state checked them: a bug
		p.cfg.Logger.Error("proxy: TLS settings refused after the state accepted them", "listener", l.Address, "error", err)
		return
	}
	old := rl.tls.Swap(hs)
	hs.SetIndex(old.Index())
	p.tickets.Detach(old)
}

// serveTLS returns the per-connection function of an https listener: the
// PROXY protocol header when the listener expects one (on the raw
// connection, before TLS), the handshake within request_timeout, then
// HTTP/2 or HTTP/1.1 by ALPN.
func (p *proxy) serveTLS(rl *runListener) listener.Handler {
	return func(c net.Conn, release func()) {
		set := rl.shared.Settings()
		hdr, ok := p.proxyHeader(rl, c, release)
		if !ok {
			return
		}
		release, ok = p.admit(rl, c, hdr, release) // before the handshake's work
		if !ok {
			return
		}
		tc, served, err := rl.tls.Load().Handshake(c, set.RequestTimeout)
		if errors.Is(err, handshake.ErrChallenge) {
			p.cfg.Logger.Debug("tls-alpn-01 validation answered", "listener", rl.shared.Addr, "client", c.RemoteAddr().String())
			release()
			return
		}
		if err != nil {
			level := p.cfg.Logger.Debug
			if errors.Is(err, handshake.ErrNoCertificate) {
				level = p.cfg.Logger.Info
			}
			level("tls handshake failed", "listener", rl.shared.Addr, "client", c.RemoteAddr().String(), "error", err)
			if m := rl.shared.M; m != nil {
				m.TLSHandshakeFailures.Inc()
			}
			release()
			return
		}
		if m := rl.shared.M; m != nil {
			m.TLSHandshakes.Inc()
		}
		if tc.ConnectionState().NegotiatedProtocol == handshake.ProtoH2 {
			rl.h2.Serve(tc, served, hdr, release)
			return
		}
		session.ServeTLS(p.env, rl.shared, tc, served, hdr, release)
	}
}

// publishCerts rebuilds the certificate index of an https listener from
// the state and publishes it; handshakes in progress finish on the old one.
func (p *proxy) publishCerts(addr string) {
	rl := p.listeners[addr]
	if rl == nil || rl.tls.Load() == nil {
		return
	}
	certs, def := p.state.ServedCerts(addr)
	rl.tls.Load().SetIndex(cert.NewIndex(certs, def))
	p.syncStaples()
}
