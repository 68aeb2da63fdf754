package proxy

import (
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// query answers the read-only orders.
func (p *proxy) query(o order.Order) (*order.Content, bool) {
	switch o := o.(type) {
	case order.Status:
		return &order.Content{Status: p.status()}, true
	case order.ListBackends:
		if err := o.Validate(); err != nil {
			return nil, false // apply reports the error
		}
		return &order.Content{Backends: p.backendStatus(o.ClusterID)}, true
	}
	return p.state.Query(o)
}

func (p *proxy) status() *order.ProxyStatus {
	l, active, c, f, b := p.state.Counts()
	return &order.ProxyStatus{
		Version:           Version,
		UptimeSeconds:     int64(time.Since(p.started).Seconds()),
		Listeners:         l,
		ActiveListeners:   active,
		Clusters:          c,
		Frontends:         f,
		Backends:          b,
		ActiveConnections: p.env.Active.Load(),
		Requests:          p.env.Requests.Load(),
		Panics:            p.env.Panics.Load(),
	}
}

func (p *proxy) backendStatus(cluster string) []order.BackendStatus {
	out := []order.BackendStatus{}
	for _, b := range p.state.Backends(cluster) {
		st := order.BackendStatus{Backend: b}
		if c := p.clusters[b.ClusterID]; c != nil {
			for _, rb := range c.Backends() {
				if rb.Config.ID == b.ID {
					st.InFlight = rb.InFlight()
					st.IdleConnections = rb.IdleCount()
				}
			}
		}
		out = append(out, st)
	}
	return out
}
