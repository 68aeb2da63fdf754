package state

import (
	"reflect"
	"slices"

	"github.com/sluiceproxy/sluice/order"
)

// Diff returns the orders that turn a into b: applied to a in sequence (as
// one batch, State.ApplyAll), they give a State whose dump equals b's.
// Reload, fleet mode and upgrade build on it.
//
// The orders come in an order that applies cleanly:
//
//  1. deactivations of listeners that stay but stop accepting;
//  2. removals, dependents first: frontends, certificates, backends, then
//     clusters, then listeners. A removed cluster or listener takes its
//     own dependents with it (see the package's referential rules), so
//     only the dependents of objects that stay are removed one by one;
//  3. updates of listeners and clusters that stay (update_listener,
//     update_cluster, giving only the fields that differ);
//  4. additions, dependencies first: listeners (inactive), certificates,
//     clusters, backends (adds and update_backend), frontends (adds and
//     update_*_frontend, after the clusters they may now point to);
//  5. activations.
//
// An object whose key stays is changed in place with its update order,
// never removed and added, except when no update can do it: a listener
// whose protocol, max_connections_per_ip or (https) head limits change, a
// cluster whose protocol changes, a certificate (whose key is its
// content). The default certificate of a listener that changes for a new
// one is swapped with replace_certificate. Backends whose updates block
// each other (two backends exchanging their addresses or sticky ids) are
// the one case where a backend that stays is removed and added back;
// a change of weight or backup alone never removes a backend.
func Diff(a, b State) []order.Order {
	d := &differ{s: a, b: b, redo: map[string]bool{}, redoCluster: map[string]bool{}}
	for addr, l := range a.listeners.all {
		if nl, ok := b.listeners.get(addr); ok && fixedChange(l, nl) != nil {
			d.redo[addr] = true
		}
	}
	for id, c := range a.clusters.all {
		if nc, ok := b.clusters.get(id); ok && nc.Protocol != c.Protocol {
			d.redoCluster[id] = true
		}
	}
	d.deactivate()
	d.removeFrontends()
	d.removeCertificates()
	d.removeBackends()
	d.removeClusters()
	d.removeListeners()
	d.updateListeners()
	d.updateClusters()
	d.addListeners()
	d.addCertificates()
	d.addClusters()
	d.backends()
	d.frontends()
	d.activate()
	return d.out
}

// differ builds a diff: s is a with the orders so far applied.
type differ struct {
	s, b State
	out  []order.Order
	// redo are the listeners (by address) and clusters (by id) that are
	// removed and added again, because no update can change them so.
	redo, redoCluster map[string]bool
}

// emit applies o to s and records it. An order that does not apply (a bug
// here) is recorded anyway, so that applying the diff reports it.
func (d *differ) emit(o order.Order) {
	if next, _, err := d.s.Apply(o); err == nil {
		d.s = next
	}
	d.out = append(d.out, o)
}

// try applies and records o if it applies.
func (d *differ) try(o order.Order) bool {
	next, _, err := d.s.Apply(o)
	if err != nil {
		return false
	}
	d.s, d.out = next, append(d.out, o)
	return true
}

// listenerStays reports whether the listener on addr is in both states
// and kept (not removed and added again).
func (d *differ) listenerStays(addr string) bool {
	return d.b.listeners.has(addr) && !d.redo[addr]
}

// clusterStays is listenerStays for clusters.
func (d *differ) clusterStays(id string) bool {
	return d.b.clusters.has(id) && !d.redoCluster[id]
}

func (d *differ) deactivate() {
	for _, l := range d.s.Listeners() {
		if nl, ok := d.b.listeners.get(l.Address); ok && l.Active && !nl.Active && d.listenerStays(l.Address) {
			d.emit(order.DeactivateListener{Address: l.Address})
		}
	}
}

func (d *differ) activate() {
	for _, l := range d.b.Listeners() {
		if cur, _ := d.s.listeners.get(l.Address); l.Active && !cur.Active {
			d.emit(order.ActivateListener{Address: l.Address})
		}
	}
}

func (d *differ) removeListeners() {
	for _, l := range d.s.Listeners() {
		if !d.listenerStays(l.Address) {
			d.emit(order.RemoveListener{Address: l.Address})
		}
	}
}

func (d *differ) removeClusters() {
	for _, c := range d.s.Clusters() {
		if !d.clusterStays(c.ID) {
			d.emit(order.RemoveCluster{ID: c.ID})
		}
	}
}

func (d *differ) updateListeners() {
	for _, l := range d.s.Listeners() {
		if nl, ok := d.b.listeners.get(l.Address); ok && !sameSettings(l, nl) {
			d.emit(listenerUpdate(l, nl))
		}
	}
}

func (d *differ) updateClusters() {
	for _, c := range d.s.Clusters() {
		if nc, ok := d.b.clusters.get(c.ID); ok && !reflect.DeepEqual(c, nc) {
			d.emit(clusterUpdate(c, nc))
		}
	}
}

func (d *differ) addListeners() {
	for _, l := range d.b.Listeners() {
		if !d.s.listeners.has(l.Address) {
			l.Active = false // activated last
			d.emit(order.AddListener{Listener: l})
		}
	}
}

func (d *differ) addClusters() {
	for _, c := range d.b.Clusters() {
		if !d.s.clusters.has(c.ID) {
			d.emit(order.AddCluster{Cluster: c})
		}
	}
}

// opt gives a field of an update order when it changes.
func opt[T any](old, v T) order.Opt[T] {
	if reflect.DeepEqual(old, v) {
		return order.Opt[T]{}
	}
	return order.Some(v)
}

// listenerUpdate is the update_listener that turns old into l (same
// protocol and fixed fields).
func listenerUpdate(old, l order.Listener) order.UpdateListener {
	return order.UpdateListener{
		Address:             l.Address,
		ExpectProxy:         opt(old.ExpectProxy, l.ExpectProxy),
		StickyName:          opt(old.StickyName, l.StickyName),
		FrontTimeout:        opt(old.FrontTimeout, l.FrontTimeout),
		BackTimeout:         opt(old.BackTimeout, l.BackTimeout),
		ConnectTimeout:      opt(old.ConnectTimeout, l.ConnectTimeout),
		RequestTimeout:      opt(old.RequestTimeout, l.RequestTimeout),
		TunnelTimeout:       opt(old.TunnelTimeout, l.TunnelTimeout),
		KeepAliveTimeout:    opt(old.KeepAliveTimeout, l.KeepAliveTimeout),
		MaxConnectionsPerIP: opt(old.MaxConnectionsPerIP, l.MaxConnectionsPerIP),
		MaxHeadBytes:        opt(old.MaxHeadBytes, l.MaxHeadBytes),
		MaxHeaderFields:     opt(old.MaxHeaderFields, l.MaxHeaderFields),
		MaxBodyBytes:        opt(old.MaxBodyBytes, l.MaxBodyBytes),
		Answers:             opt(old.Answers, l.Answers),
		TLSVersions:         opt(old.TLSVersions, l.TLSVersions),
		HSTS:                opt(old.HSTS, l.HSTS),
		UpdateListenerTLS:   listenerTLSUpdate(old.ListenerTLS, l.ListenerTLS),
		// Routing and rewrites (issue 16, policy-route).
		XRealIP:         opt(old.XRealIP, l.XRealIP),
		RequestIDHeader: opt(old.RequestIDHeader, l.RequestIDHeader),
	}
}

// clusterUpdate is the update_cluster that turns old into c (same
// protocol).
func clusterUpdate(old, c order.Cluster) order.UpdateCluster {
	return order.UpdateCluster{
		ID:              c.ID,
		LoadBalancing:   opt(old.LoadBalancing, c.LoadBalancing),
		StickySession:   opt(old.StickySession, c.StickySession),
		HTTPSRedirect:   opt(old.HTTPSRedirect, c.HTTPSRedirect),
		SendProxy:       opt(old.SendProxy, c.SendProxy),
		HTTP2:           opt(old.HTTP2, c.HTTP2),
		BackendProtocol: opt(old.BackendProtocol, c.BackendProtocol),
		HealthCheck:     opt(old.HealthCheck, c.HealthCheck),
		PassiveHealth:   opt(old.PassiveHealth, c.PassiveHealth),
		HSTS:            opt(old.HSTS, c.HSTS),
		Answers:         opt(old.Answers, c.Answers),
		TLS:             opt(old.TLS, c.TLS),
		// Traffic policy (policy-guard).
		HashKey:     opt(old.HashKey, c.HashKey),
		RateLimit:   opt(old.RateLimit, c.RateLimit),
		Retry:       opt(old.Retry, c.Retry),
		Compression: opt(old.Compression, c.Compression),
		// Routing and rewrites (issue 16, policy-route).
		HTTPSRedirectPort: opt(old.HTTPSRedirectPort, c.HTTPSRedirectPort),
		Headers:           opt(old.Headers, c.Headers),
	}
}

// backendUpdate is the update_backend that turns old into nb.
func backendUpdate(old, nb order.Backend) order.UpdateBackend {
	return order.UpdateBackend{
		ClusterID: nb.ClusterID, ID: nb.ID,
		Address:  opt(old.Address, nb.Address),
		Weight:   opt(old.Weight, nb.Weight),
		Backup:   opt(old.Backup, nb.Backup),
		StickyID: opt(old.StickyID, nb.StickyID),
	}
}

func (d *differ) removeBackends() {
	for _, be := range d.s.Backends("") {
		if !d.b.backends.has(backendKey{be.ClusterID, be.ID}) && d.clusterStays(be.ClusterID) {
			d.emit(order.RemoveBackend{ClusterID: be.ClusterID, ID: be.ID})
		}
	}
}

// backends adds and updates backends. An order that does not apply yet
// (its address or sticky id is another's, which moves later) waits for a
// later round; when a round applies nothing, the first waiting update is
// made a remove and an add, which frees what it holds.
func (d *differ) backends() {
	var pending []order.Order
	for _, nb := range d.b.Backends("") {
		old, ok := d.s.backends.get(backendKey{nb.ClusterID, nb.ID})
		switch {
		case !ok:
			pending = append(pending, order.AddBackend{Backend: nb})
		case old != nb:
			pending = append(pending, backendUpdate(old, nb))
		}
	}
	for len(pending) > 0 {
		waiting := pending[:0]
		for _, o := range pending {
			if !d.try(o) {
				waiting = append(waiting, o)
			}
		}
		if len(waiting) == len(pending) {
			i := slices.IndexFunc(waiting, func(o order.Order) bool { _, ok := o.(order.UpdateBackend); return ok })
			if i < 0 { // adds that cannot apply: a bug; let the batch say why
				d.out = append(d.out, waiting...)
				return
			}
			u := waiting[i].(order.UpdateBackend)
			nb, _ := d.b.backends.get(backendKey{u.ClusterID, u.ID})
			d.emit(order.RemoveBackend{ClusterID: u.ClusterID, ID: u.ID})
			waiting[i] = order.AddBackend{Backend: nb}
		}
		pending = waiting
	}
}
