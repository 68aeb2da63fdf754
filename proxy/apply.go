package proxy

import (
	"context"
	"fmt"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// How an order changes the running proxy. The state decides: State.Apply
// (or ApplyAll for a batch) validates the order and returns the next state
// with its effects, as data. The proxy executes them, in three steps:
//
//  1. prepare: the effects that can fail run first: Bind (open a
//     listening socket, not accepting yet), and the lookup of a backend's
//     host name (AddBackend, UpdateBackend: a name must resolve). If a
//     socket cannot be opened or a name resolved, the sockets already
//     opened for the order are closed and the order is refused: nothing
//     changed.
//  2. commit: the next state becomes the proxy's state.
//  3. publish: every effect runs, in order. None can fail: what could
//     make them fail (templates, certificates, references) was checked by
//     the state. Snapshots are published atomically (settings, routing
//     tables, backend lists, certificate indexes); requests in flight keep
//     the snapshot they started with.
//
// One exception: a Bind on an address that one of this proxy's listeners
// holds at prepare time (a batch that closes a listener and opens another
// on its address) cannot be tried early; that socket is opened when its
// Activate runs, right after the effects before it released the address.
// If that fails (another process took the address in between), the
// listener is left inactive in the state and the order answers an error
// saying so.

// apply executes one configuration order; on error nothing changed.
func (p *proxy) apply(o order.Order) error {
	next, fx, err := p.state.Apply(o)
	if err != nil {
		return err
	}
	return p.commit(next, fx)
}

// applyAll executes a batch of orders all or nothing: the whole batch is
// validated (State.ApplyAll) and its sockets opened before any effect.
func (p *proxy) applyAll(orders []order.Order) error {
	next, fx, err := p.state.ApplyAll(orders)
	if err != nil {
		return err
	}
	return p.commit(next, fx)
}

// prepared is what prepare got ready for an order's effects: listening
// sockets by address, and the addresses backend host names resolved to,
// by backend address.
type prepared struct {
	socks    map[string]*socket
	resolved map[string][]string
}

// commit prepares fx, adopts next and publishes fx (see above).
func (p *proxy) commit(next state.State, fx []state.Effect) error {
	pr, err := p.prepare(fx)
	if err != nil {
		return err
	}
	p.state = next
	var late error
	for _, e := range fx {
		if err := p.run(e, pr); err != nil && late == nil {
			late = err
		}
	}
	p.discard(pr.socks) // none is left: each Bind has its Activate
	p.syncACME()
	return late
}

// prepare resolves the host names of backends being added or given a new
// address, and opens the sockets of the Bind effects, not accepting yet.
// On error it closes the sockets it opened and returns the error.
func (p *proxy) prepare(fx []state.Effect) (*prepared, error) {
	pr := &prepared{socks: map[string]*socket{}, resolved: map[string][]string{}}
	for _, e := range fx {
		var addr string
		switch e := e.(type) {
		case state.AddBackend:
			addr = e.Backend.Address
		case state.UpdateBackend:
			addr = e.Backend.Address
		default:
			continue
		}
		if _, done := pr.resolved[addr]; done {
			continue
		}
		addrs, err := p.resolve(addr)
		if err != nil {
			return nil, err
		}
		pr.resolved[addr] = addrs
	}
	socks := pr.socks
	for _, e := range fx {
		b, ok := e.(state.Bind)
		if !ok {
			continue
		}
		if rl := p.listeners[b.Address]; rl != nil && rl.acceptor != nil {
			continue // ours: opened by its Activate, once released (see above)
		}
		if socks[b.Address] != nil {
			continue // opened twice in a batch: the second by its Activate
		}
		s, err := p.listen(b.Address)
		if err != nil {
			p.discard(socks)
			return nil, err
		}
		socks[b.Address] = s
	}
	return pr, nil
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

// run executes one effect: the proxy's only switch over what changes.
// Only Activate can fail, and only for a socket opened late (see above).
func (p *proxy) run(e state.Effect, pr *prepared) error {
	switch e := e.(type) {
	case state.Bind:
		// Done by prepare.
	case state.CreateListener:
		p.createListener(e.Listener)
	case state.ListenerSettings:
		p.listenerSettings(e.Listener)
	case state.Activate:
		return p.activate(e.Address, pr.socks)
	case state.Deactivate:
		p.stopListener(e.Address)
	case state.CloseListener:
		p.closeListener(e.Address)
	case state.PublishCertificates:
		p.publishCerts(e.Address)
	case state.CreateCluster:
		p.createCluster(e.Cluster)
	case state.ClusterSettings:
		p.clusters[e.Cluster.ID].SetSettings(p.clusterSettings(e.Cluster))
	case state.CloseCluster:
		p.closeCluster(e.ID)
	case state.AddBackend:
		p.addBackend(e.Backend, pr.resolved[e.Backend.Address])
	case state.UpdateBackend:
		p.clusters[e.Backend.ClusterID].Update(e.Backend, p.cfg.MaxIdlePerBackend, pr.resolved[e.Backend.Address])
	case state.RemoveBackend:
		p.removeBackend(e.ClusterID, e.ID)
	case state.SetRoute:
		p.setRoute(e.Frontend)
	case state.RemoveRoute:
		p.removeRoute(e.Frontend)
	case state.SetTCPRoute:
		p.listeners[e.Address].tcp.SetRoute(e.Hostname, p.clusters[e.ClusterID]) // nil when none
	default:
		p.cfg.Logger.Error("proxy: effect not executed (a bug)", "effect", e.String())
	}
	return nil
}
