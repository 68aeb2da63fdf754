package proxy

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/session"
	"github.com/sluiceproxy/sluice/tcp"
)

// The runtime side of listeners, as the effects of the state ask: create,
// publish settings, bind and activate, deactivate, close.

// socket is a listening socket opened by a Bind effect. Its handler calls
// serve, which its Activate sets once, before the socket starts accepting;
// a socket whose order failed is started and closed at once with serve
// nil, and its handler closes anything it accepted then.
type socket struct {
	a     *listener.Acceptor
	serve listener.Handler
}

// listen opens a socket on addr, not accepting yet.
func (p *proxy) listen(addr string) (*socket, error) {
	s := &socket{}
	a, err := listener.Listen(p.cfg.Sockets, addr, p.slots, &p.conns, func(c net.Conn, release func()) {
		if s.serve == nil {
			c.Close()
			release()
			return
		}
		s.serve(c, release)
	})
	if err != nil {
		return nil, &order.FieldError{Field: "listener.address", Reason: fmt.Sprintf("cannot listen: %v", err)}
	}
	s.a = a
	return s, nil
}

// discard closes sockets that will not be used.
func (p *proxy) discard(socks map[string]*socket) {
	for addr, s := range socks {
		s.a.Start() // Close waits for the accept loop
		s.a.Close()
		delete(socks, addr)
	}
}

func pick(v order.Duration, def time.Duration) time.Duration {
	if v > 0 {
		return v.D()
	}
	return def
}

// settings derives an http or https listener's settings, defaults filled
// in from the proxy's Config.
func (p *proxy) settings(l order.Listener) *listener.Settings {
	answers, _ := answer.Compile(l.Answers) // the state compiled them already
	s := &listener.Settings{
		FrontTimeout:   pick(l.FrontTimeout, p.cfg.FrontTimeout),
		BackTimeout:    pick(l.BackTimeout, p.cfg.BackTimeout),
		ConnectTimeout: pick(l.ConnectTimeout, p.cfg.ConnectTimeout),
		RequestTimeout: pick(l.RequestTimeout, p.cfg.RequestTimeout),
		Limits:         h1.Limits{MaxHeadBytes: p.cfg.MaxHeadBytes, MaxHeaderFields: p.cfg.MaxHeaderFields},
		Answers:        answers,
		Proto:          string(l.Protocol),
		StickyName:     l.StickyName,
		ExpectProxy:    l.ExpectProxy,
		TunnelTimeout:  pick(l.TunnelTimeout, p.cfg.TunnelTimeout),
		HSTS:           l.HSTS.Header(),
	}
	s.KeepAliveTimeout = min(pick(l.KeepAliveTimeout, p.cfg.KeepAliveTimeout), s.FrontTimeout)
	if l.MaxHeadBytes > 0 {
		s.Limits.MaxHeadBytes = l.MaxHeadBytes
	}
	if l.MaxHeaderFields > 0 {
		s.Limits.MaxHeaderFields = l.MaxHeaderFields
	}
	s.MaxBodyBytes = p.cfg.MaxBodyBytes
	if l.MaxBodyBytes > 0 {
		s.MaxBodyBytes = l.MaxBodyBytes
	}
	// Routing and rewrites (issue 16, policy-route).
	s.XRealIP = l.XRealIP
	if l.RequestIDHeader != "" {
		s.RequestIDName, s.RequestIDLower = []byte(l.RequestIDHeader), []byte(strings.ToLower(l.RequestIDHeader))
	}
	return s
}

// tcpSettings derives a tcp listener's settings.
func (p *proxy) tcpSettings(l order.Listener) *tcp.Settings {
	return &tcp.Settings{
		FrontTimeout:   pick(l.FrontTimeout, p.cfg.FrontTimeout),
		BackTimeout:    pick(l.BackTimeout, p.cfg.BackTimeout),
		ConnectTimeout: pick(l.ConnectTimeout, p.cfg.ConnectTimeout),
		RequestTimeout: pick(l.RequestTimeout, p.cfg.RequestTimeout),
		ExpectProxy:    l.ExpectProxy,
	}
}

// createListener makes a listener's runtime side, inactive.
func (p *proxy) createListener(l order.Listener) {
	rl := &runListener{conf: l}
	if l.Protocol == order.TCP {
		rl.tcp = tcp.NewListener(l.Address, p.tcpSettings(l))
		rl.tcp.M = p.listenerMetrics(l.Address)
	} else {
		rl.shared = listener.NewHTTP(l.Address, p.settings(l))
		rl.shared.M = p.listenerMetrics(l.Address)
	}
	if l.Protocol == order.HTTPS {
		p.newTLS(rl, l)
	}
	p.limitPerIP(rl, l)
	p.listeners[l.Address] = rl
	if rl.shared != nil {
		p.reclaimer.Add(rl.shared)
	}
}

// listenerSettings publishes a listener's new settings; new TLS settings
// take a new TLS server (with the same certificates).
func (p *proxy) listenerSettings(l order.Listener) {
	rl := p.listeners[l.Address]
	if rl.tcp != nil {
		rl.tcp.SetSettings(p.tcpSettings(l))
	} else {
		rl.shared.SetSettings(p.settings(l))
	}
	if l.Protocol == order.HTTPS && (!slices.Equal(l.TLSVersions, rl.conf.TLSVersions) ||
		!reflect.DeepEqual(l.ListenerTLS, rl.conf.ListenerTLS)) {
		p.swapTLS(rl, l)
	}
	stapling := rl.conf.Stapling() != l.Stapling()
	rl.conf = l
	if stapling {
		p.syncStaples()
	}
}

// handler returns the per-connection function of a listener.
func (p *proxy) handler(rl *runListener) listener.Handler {
	switch {
	case rl.tls.Load() != nil:
		return p.serveTLS(rl)
	case rl.tcp != nil:
		tl := rl.tcp
		return func(c net.Conn, release func()) {
			defer release()
			tcp.Serve(p.tcpEnv, tl, c)
		}
	case rl.perIP != nil:
		return p.serveHTTPPerIP(rl)
	}
	shared := rl.shared
	return func(c net.Conn, release func()) { session.Serve(p.env, shared, c, release) }
}

// activate makes a listener accept on the socket its Bind opened (or
// opens it now, for a socket prepare could not open early).
func (p *proxy) activate(addr string, socks map[string]*socket) error {
	rl := p.listeners[addr]
	if rl.acceptor != nil {
		return nil
	}
	s := socks[addr]
	delete(socks, addr)
	if s == nil {
		var err error
		if s, err = p.listen(addr); err != nil {
			p.state, _, _ = p.state.Apply(order.DeactivateListener{Address: addr})
			p.cfg.Logger.Error("listener left inactive: its address could not be bound again", "listener", addr, "error", err)
			return fmt.Errorf("applied, but the listener on %s is left inactive: %w", addr, err)
		}
	}
	s.serve = p.handler(rl)
	if rl.tcp != nil {
		rl.tcp.Reopen()
	} else {
		if rl.tls.Load() == nil {
			// Plain HTTP connections start as bare descriptors (sock.Stream);
			// TLS and tcp ones stay net.TCPConns (tcp relays splice).
			s.a.AcceptStreams()
		}
		rl.shared.Reopen()
		if rl.h2 != nil {
			rl.h2.Reopen()
		}
	}
	s.a.Start()
	rl.acceptor = s.a
	return nil
}

// stopListener closes the listening socket; exchanges in flight finish and
// their connections close after them.
func (p *proxy) stopListener(addr string) {
	rl := p.listeners[addr]
	if rl.acceptor != nil {
		rl.acceptor.Close()
		rl.acceptor = nil
	}
	rl.drain()
}

// closeListener stops a listener and forgets it; a hard stop still
// reaches its open connections.
func (p *proxy) closeListener(addr string) {
	p.stopListener(addr)
	rl := p.listeners[addr]
	if rl.shared != nil {
		p.reclaimer.Remove(rl.shared)
	}
	if hs := rl.tls.Load(); hs != nil {
		p.tickets.Detach(hs)
	}
	if rl.sessions() > 0 {
		p.retired = append(p.retired, rl)
	}
	delete(p.listeners, addr)
	if rl.tls.Load() != nil {
		p.syncStaples() // its certificates are no longer stapled
	}
	if r := p.cfg.Metrics; r != nil {
		r.RemoveListener(addr)
	}
}
