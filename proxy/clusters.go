package proxy

import (
	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/guard"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/rewrite"
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
	s := &backend.Settings{Cluster: c, Answers: answers, HSTS: c.HSTS.Header(), TLS: tc,
		Request: rewrite.CompileEdits(c.Headers, order.EditRequest), Response: rewrite.CompileEdits(c.Headers, order.EditResponse)}
	var old *backend.Settings
	if rc := p.clusters[c.ID]; rc != nil {
		old = rc.Settings()
	}
	s.Policy = backend.NewPolicy(&c, old)
	return s
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
	if f.ClusterID != "" {
		rt.Cluster = p.clusters[f.ClusterID]
	}
	rt.Rewrite, _ = rewrite.Compile(f) // the state compiled it already
	rl := p.listeners[f.Address]
	p.routeGuards(rl, f, rt)
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

// routeGuards sets the guards of a frontend's route: its basic auth and
// rate limit. A rate limit the frontend had already, unchanged, keeps its
// buckets.
func (p *proxy) routeGuards(rl *runListener, f order.HTTPFrontend, rt *listener.Route) {
	if f.BasicAuth != nil {
		rt.Auth = guard.NewAuth(f.BasicAuth)
	}
	if f.RateLimit == nil {
		return
	}
	k := state.Rule(f, (*listener.Route)(nil)).Key()
	for _, r := range rl.shared.Routes().Rules() {
		if r.Key() == k && r.Target != nil && r.Target.Limit.Same(f.RateLimit) {
			rt.Limit = r.Target.Limit
			return
		}
	}
	rt.Limit = guard.NewLimiter(f.RateLimit)
}
