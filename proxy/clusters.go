package proxy

import (
	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// The runtime side of clusters, backends and routes, as the effects of the
// state ask. Each publishes a new immutable snapshot (settings, backend
// list, routing table) with one atomic store.

// clusterSettings derives a cluster's runtime settings.
func (p *proxy) clusterSettings(c order.Cluster) *backend.Settings {
	answers, _ := answer.Compile(c.Answers) // the state compiled them already
	tc, err := p.clusterTLS(c)
	if err != nil { // the order checked them: a bug; fail closed
		p.cfg.Logger.Error("proxy: cluster TLS settings refused after the state accepted them", "cluster", c.ID, "error", err)
		tc = backend.RefusingTLSConfig()
	}
	return &backend.Settings{Cluster: c, Answers: answers, HSTS: c.HSTS.Header(), TLS: tc}
}

func (p *proxy) createCluster(c order.Cluster) {
	rc := backend.NewCluster(p.clusterSettings(c), p.benv)
	rc.M = p.clusterMetrics(c.ID)
	p.clusters[c.ID] = rc
}

// closeCluster stops a cluster's health check and forgets it; the
// effects before it took its routes and backends away.
func (p *proxy) closeCluster(id string) {
	if c := p.clusters[id]; c != nil {
		c.Close()
		delete(p.clusters, id)
	}
	if r := p.cfg.Metrics; r != nil {
		r.RemoveCluster(id) // and its backends
	}
}

// addBackend adds b to its cluster; resolved are the addresses its host
// name resolved to (nil for an IP).
func (p *proxy) addBackend(b order.Backend, resolved []string) {
	rb := backend.NewBackend(b, p.cfg.MaxIdlePerBackend)
	rb.SetResolved(resolved)
	rb.M = p.backendMetrics(b.ClusterID, b.ID)
	p.clusters[b.ClusterID].Add(rb)
}

func (p *proxy) removeBackend(cluster, id string) {
	p.clusters[cluster].Remove(id)
	if r := p.cfg.Metrics; r != nil {
		r.RemoveBackend(cluster, id)
	}
}

// setRoute adds or replaces a frontend's route: one new routing table,
// published at once.
func (p *proxy) setRoute(f order.HTTPFrontend) {
	rt := &listener.Route{Deny: f.Deny}
	if !f.Deny {
		rt.Cluster = p.clusters[f.ClusterID]
	}
	rl := p.listeners[f.Address]
	t, err := rl.shared.Routes().Add(state.Rule(f, rt))
	if err != nil { // the state checked the rule: a bug
		p.cfg.Logger.Error("proxy: route refused after the state accepted it", "listener", f.Address, "error", err)
		return
	}
	rl.shared.SetRoutes(t)
}

func (p *proxy) removeRoute(f order.HTTPFrontend) {
	rl := p.listeners[f.Address]
	t, _ := rl.shared.Routes().Remove(state.Rule(f, (*listener.Route)(nil)).Key())
	rl.shared.SetRoutes(t)
}
