package proxy

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/session"
	"github.com/sluiceproxy/sluice/state"
	"github.com/sluiceproxy/sluice/tcp"
)

// apply checks o, performs its runtime side, then records it in the state.
// On error nothing changed.
func (p *proxy) apply(o order.Order) error {
	if err := p.state.Check(o); err != nil {
		return err
	}
	defer p.forget(o) // removed objects leave the metrics registry
	switch o := o.(type) {
	case order.AddListener:
		return p.addListener(o.Listener)
	case order.RemoveListener:
		p.stopListener(o.Address)
		rl := p.listeners[o.Address]
		if rl.shared != nil {
			p.reclaimer.Remove(rl.shared)
		}
		if rl.tls != nil {
			p.tickets.Detach(rl.tls)
		}
		if rl.sessions() > 0 {
			p.retired = append(p.retired, rl) // a hard stop must still reach them
		}
		delete(p.listeners, o.Address)
	case order.ActivateListener:
		if err := p.activate(o.Address); err != nil {
			return err
		}
	case order.DeactivateListener:
		p.stopListener(o.Address)
	case order.AddCluster:
		return p.addCluster(o)
	case order.RemoveCluster:
		p.removeClusterRoutes(o.ID)
		if c := p.clusters[o.ID]; c != nil {
			c.Close()
			delete(p.clusters, o.ID)
		}
	case order.AddHTTPFrontend:
		return p.addFrontend(o, o.HTTPFrontend)
	case order.AddHTTPSFrontend:
		return p.addFrontend(o, o.HTTPFrontend)
	case order.RemoveHTTPFrontend:
		p.removeRoute(o.HTTPFrontend)
	case order.RemoveHTTPSFrontend:
		p.removeRoute(o.HTTPFrontend)
	case order.AddTCPFrontend:
		if err := p.state.Apply(o); err != nil {
			return err
		}
		p.listeners[o.Address].tcp.SetCluster(p.clusters[o.ClusterID])
		return nil
	case order.RemoveTCPFrontend:
		p.listeners[o.Address].tcp.SetCluster(nil)
	case order.AddBackend:
		if _, exists := p.state.Backend(o.ClusterID, o.ID); exists {
			return nil // identical (Check refused a different one)
		}
		addrs, err := p.resolve(o.Address) // a host name must resolve
		if err != nil {
			return err
		}
		if err := p.state.Apply(o); err != nil {
			return err
		}
		b, _ := p.state.Backend(o.ClusterID, o.ID)
		rb := backend.NewBackend(b, p.cfg.MaxIdlePerBackend)
		rb.SetResolved(addrs)
		rb.M = p.backendMetrics(o.ClusterID, o.ID)
		p.clusters[o.ClusterID].Add(rb)
		return nil
	case order.RemoveBackend:
		p.clusters[o.ClusterID].Remove(o.ID)
	case order.AddCertificate, order.ReplaceCertificate, order.RemoveCertificate:
		if err := p.state.Apply(o); err != nil {
			return err
		}
		p.publishCerts(certAddress(o))
		return nil
	}
	return p.state.Apply(o)
}

// resolve returns the addresses of a backend address whose host is a name
// (nil for an IP), or a field error when it does not resolve.
func (p *proxy) resolve(addr string) ([]string, error) {
	addrs, err := p.benv.Resolve(context.Background(), addr)
	if err != nil {
		return nil, &order.FieldError{Field: "backend.address", Reason: fmt.Sprintf("%q: %v", addr, err)}
	}
	return addrs, nil
}

func (p *proxy) settings(l order.Listener) (*listener.Settings, error) {
	answers, err := answer.Compile(l.Answers)
	if err != nil {
		return nil, &order.FieldError{Field: "listener.answers", Reason: err.Error()}
	}
	pick := func(v order.Duration, def time.Duration) time.Duration {
		if v > 0 {
			return v.D()
		}
		return def
	}
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
	return s, nil
}

// tcpSettings derives a tcp listener's settings.
func (p *proxy) tcpSettings(l order.Listener) *tcp.Settings {
	pick := func(v order.Duration, def time.Duration) time.Duration {
		if v > 0 {
			return v.D()
		}
		return def
	}
	return &tcp.Settings{
		FrontTimeout:   pick(l.FrontTimeout, p.cfg.FrontTimeout),
		BackTimeout:    pick(l.BackTimeout, p.cfg.BackTimeout),
		ConnectTimeout: pick(l.ConnectTimeout, p.cfg.ConnectTimeout),
		RequestTimeout: pick(l.RequestTimeout, p.cfg.RequestTimeout),
		ExpectProxy:    l.ExpectProxy,
	}
}

func (p *proxy) addListener(l order.Listener) error {
	if rl, ok := p.listeners[l.Address]; ok {
		// Identical (Check refused a different one): activate if asked.
		if l.Active && rl.acceptor == nil {
			return p.apply(order.ActivateListener{Address: l.Address})
		}
		return nil
	}
	rl := &runListener{}
	if l.Protocol == order.TCP {
		rl.tcp = tcp.NewListener(l.Address, p.tcpSettings(l))
		rl.tcp.M = p.listenerMetrics(l.Address)
	} else {
		set, err := p.settings(l)
		if err != nil {
			return err
		}
		rl.shared = listener.NewHTTP(l.Address, set)
		rl.shared.M = p.listenerMetrics(l.Address)
	}
	if l.Protocol == order.HTTPS {
		if err := p.newTLS(rl, l); err != nil {
			p.forget(order.RemoveListener{Address: l.Address})
			return err
		}
	}
	p.limitPerIP(rl, l)
	if l.Active {
		if err := p.bind(rl, l); err != nil {
			p.forget(order.RemoveListener{Address: l.Address})
			return err
		}
	}
	if err := p.state.Apply(order.AddListener{Listener: l}); err != nil {
		if rl.acceptor != nil {
			rl.acceptor.Close()
		}
		p.forget(order.RemoveListener{Address: l.Address})
		return err
	}
	p.listeners[l.Address] = rl
	if rl.shared != nil {
		p.reclaimer.Add(rl.shared)
	}
	return nil
}

func (p *proxy) bind(rl *runListener, l order.Listener) error {
	var serve listener.Handler
	switch l.Protocol {
	case order.HTTP:
		shared := rl.shared
		serve = func(c net.Conn, release func()) { session.Serve(p.env, shared, c, release) }
		if rl.perIP != nil {
			serve = p.serveHTTPPerIP(rl)
		}
	case order.HTTPS:
		serve = p.serveTLS(rl)
	case order.TCP:
		tl := rl.tcp
		serve = func(c net.Conn, release func()) {
			defer release()
			tcp.Serve(p.tcpEnv, tl, c)
		}
	}
	a, err := listener.Listen(l.Address, p.slots, &p.conns, serve)
	if err != nil {
		return &order.FieldError{Field: "listener.address", Reason: fmt.Sprintf("cannot listen: %v", err)}
	}
	if l.Protocol == order.HTTP {
		// Plain HTTP connections start as bare descriptors (sock.Stream);
		// TLS and tcp ones stay net.TCPConns (tcp relays splice).
		a.AcceptStreams()
	}
	if rl.tcp != nil {
		rl.tcp.Reopen()
	} else {
		rl.shared.Reopen()
	}
	a.Start()
	rl.acceptor = a
	return nil
}

func (p *proxy) activate(addr string) error {
	rl := p.listeners[addr]
	if rl.acceptor != nil {
		return nil
	}
	l, _ := p.state.Listener(addr)
	return p.bind(rl, l)
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

func (p *proxy) addCluster(o order.AddCluster) error {
	answers, err := answer.Compile(o.Answers)
	if err != nil {
		return &order.FieldError{Field: "cluster.answers", Reason: err.Error()}
	}
	if err := p.state.Apply(o); err != nil {
		return err
	}
	c, _ := p.state.Cluster(o.ID)
	s := &backend.Settings{Cluster: c, Answers: answers, HSTS: c.HSTS.Header()}
	if rc := p.clusters[o.ID]; rc != nil {
		rc.SetSettings(s)
	} else {
		c := backend.NewCluster(s, p.benv)
		c.M = p.clusterMetrics(o.ID)
		p.clusters[o.ID] = c
	}
	return nil
}

func (p *proxy) addFrontend(o order.Order, f order.HTTPFrontend) error {
	if err := p.state.Apply(o); err != nil {
		return err
	}
	f, _ = p.state.HTTPFrontend(f)
	rt := &listener.Route{Deny: f.Deny}
	if !f.Deny {
		rt.Cluster = p.clusters[f.ClusterID]
	}
	rl := p.listeners[f.Address]
	t, err := rl.shared.Routes().Add(state.Rule(f, rt))
	if err != nil { // Check validated the rule; this is a bug
		return fmt.Errorf("frontend: %w", err)
	}
	rl.shared.SetRoutes(t)
	return nil
}

func (p *proxy) removeRoute(f order.HTTPFrontend) {
	if f.PathType == "" {
		f.PathType = order.Prefix
	}
	rl := p.listeners[f.Address]
	t, _ := rl.shared.Routes().Remove(state.Rule(f, (*listener.Route)(nil)).Key())
	rl.shared.SetRoutes(t)
}

// removeClusterRoutes takes the frontends of a cluster out of the routing
// tables before the cluster goes.
func (p *proxy) removeClusterRoutes(id string) {
	for _, f := range p.state.TCPFrontends() {
		if f.ClusterID == id {
			p.listeners[f.Address].tcp.SetCluster(nil)
		}
	}
	for _, proto := range []order.Protocol{order.HTTP, order.HTTPS} {
		for _, f := range p.state.HTTPFrontends(proto) {
			if f.ClusterID == id {
				p.removeRoute(f)
			}
		}
	}
}
