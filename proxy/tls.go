package proxy

import (
	"errors"
	"net"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/h2"
	"github.com/sluiceproxy/sluice/handshake"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/session"
)

// newTLS gives an https listener its TLS side: the handshake server with
// the listener's default certificate (already checked by the state) and
// its HTTP/2 server.
func (p *proxy) newTLS(rl *runListener, l order.Listener) error {
	hs, err := handshake.NewServer(l.TLSVersions, p.tickets)
	if err != nil {
		return &order.FieldError{Field: "listener.tls_versions", Reason: err.Error()}
	}
	var def *cert.Cert
	if l.Certificate != nil {
		if def, err = cert.Parse(*l.Certificate, time.Now()); err != nil {
			return &order.FieldError{Field: "listener.certificate", Reason: err.Error()}
		}
	}
	hs.SetIndex(cert.NewIndex(nil, def))
	rl.tls = hs
	lim := rl.shared.Settings().Limits
	rl.h2 = h2.NewServer(p.xenv, rl.shared, h2.Limits{MaxHeaderFields: lim.MaxHeaderFields, MaxHeaderBlock: lim.MaxHeadBytes}, &p.conns)
	return nil
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
		tc, served, err := rl.tls.Handshake(c, set.RequestTimeout)
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
			defer release()
			rl.h2.Serve(tc, served, hdr)
			return
		}
		session.ServeTLS(p.env, rl.shared, tc, served, hdr, release)
	}
}

// publishCerts rebuilds the certificate index of an https listener from
// the state and publishes it; handshakes in progress finish on the old one.
func (p *proxy) publishCerts(addr string) {
	rl := p.listeners[addr]
	if rl == nil || rl.tls == nil {
		return
	}
	certs, def := p.state.ServedCerts(addr)
	rl.tls.SetIndex(cert.NewIndex(certs, def))
}

// certAddress is the listener address of a certificate order.
func certAddress(o order.Order) string {
	switch o := o.(type) {
	case order.AddCertificate:
		return o.Address
	case order.ReplaceCertificate:
		return o.Address
	case order.RemoveCertificate:
		return o.Address
	}
	return ""
}
