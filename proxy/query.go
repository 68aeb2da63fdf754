package proxy

import (
	"os"
	"strconv"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// query answers the read-only orders; ok is false for other orders.
func (p *proxy) query(o order.Order) (c *order.Content, err error, ok bool) {
	switch o := o.(type) {
	case order.Status:
		return &order.Content{Status: p.status()}, nil, true
	case order.ListBackends:
		if _, known := p.state.Cluster(o.ClusterID); o.ClusterID != "" && !known {
			return nil, order.NotFound("backend.cluster_id", "no cluster %s", strconv.Quote(o.ClusterID)), true
		}
		return &order.Content{Backends: p.backendStatus(o.ClusterID)}, nil, true
	case order.Metrics:
		c, err := p.metricsContent(o)
		return c, err, true
	case order.ListCertificates:
		if l, known := p.state.Listener(o.Address); o.Address != "" && (!known || l.Protocol != order.HTTPS) {
			return nil, order.NotFound("certificate.address", "no https listener on %s", o.Address), true
		}
	}
	c, ok = p.state.Query(o)
	switch o := o.(type) { // no private key leaves unasked
	case order.ListListeners:
		if !o.WithKeys {
			c.OmitKeys()
		}
	case order.DumpState:
		if !o.WithKeys {
			c.OmitKeys()
		}
	case order.ListClusters: // a cluster's TLS client key (dump_state --with-keys shows it)
		c.OmitKeys()
	}
	return c, nil, ok
}

func (p *proxy) status() *order.ProxyStatus {
	l, active, c, f, b := p.state.Counts()
	st := &order.ProxyStatus{
		Version:           Version,
		PID:               os.Getpid(),
		UptimeSeconds:     int64(time.Since(p.started).Seconds()),
		Listeners:         l,
		ActiveListeners:   active,
		Clusters:          c,
		Frontends:         f,
		Backends:          b,
		ActiveConnections: p.env.Active.Load() + p.tcpEnv.Active.Load(),
		ActiveTunnels:     p.xenv.Tunnels.Load(),
		Requests:          p.xenv.Requests.Load(),
		Panics:            p.env.Panics.Load() + p.tcpEnv.Panics.Load(),
		MemoryBytes:       memoryBytes(),
		Goroutines:        goroutines(),
	}
	st.ReclaimedConnections = p.reclaimer.Reclaimed.Load()
	st.RefusedConnections = p.refused.Load()
	st.SavedStateErrors = p.persistErrors
	st.BackendsUp, st.BackendsDown = p.backendHealth()
	for _, l := range p.listeners {
		if l.acceptor != nil {
			st.IdleWorkers += l.acceptor.IdleWorkers()
		}
	}
	return st
}

func (p *proxy) backendStatus(cluster string) []order.BackendStatus {
	out := []order.BackendStatus{}
	for _, b := range p.state.Backends(cluster) {
		st := order.BackendStatus{Backend: b, Health: "up"}
		if c := p.clusters[b.ClusterID]; c != nil {
			for _, rb := range c.Backends() {
				if rb.Config.ID == b.ID {
					st.InFlight = rb.InFlight()
					st.Resolved = rb.Resolved()
					st.IdleConnections = rb.IdleCount()
					st.H2Connections = rb.H2Conns()
					h, failures, check := rb.HealthInfo()
					st.Health, st.Failures, st.Check = h.String(), failures, check
				}
			}
		}
		out = append(out, st)
	}
	return out
}
