package proxy

import (
	"runtime"
	"runtime/metrics"
	"strconv"

	"github.com/sluiceproxy/sluice/health"
	metricset "github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
)

// The proxy registers the metric set of each listener, cluster and backend
// in Config.Metrics as the object is added, and unregisters it as the
// object goes, so that exports show what exists. Without a registry every
// set is nil and nothing is counted.

func (p *proxy) listenerMetrics(addr string) *metricset.Listener {
	if p.cfg.Metrics == nil {
		return nil
	}
	return p.cfg.Metrics.AddListener(addr)
}

func (p *proxy) clusterMetrics(id string) *metricset.Cluster {
	if p.cfg.Metrics == nil {
		return nil
	}
	return p.cfg.Metrics.AddCluster(id)
}

func (p *proxy) backendMetrics(cluster, id string) *metricset.Backend {
	if p.cfg.Metrics == nil {
		return nil
	}
	return p.cfg.Metrics.AddBackend(cluster, id)
}

// metricsContent answers the metrics order.
func (p *proxy) metricsContent(o order.Metrics) (*order.Content, error) {
	if p.cfg.Metrics == nil {
		return nil, &order.FieldError{Field: "kind", Reason: "this proxy keeps no metrics (Config.Metrics is nil; [metrics] enabled = false)"}
	}
	if _, ok := p.state.Cluster(o.ClusterID); o.ClusterID != "" && !ok {
		return nil, order.NotFound("metrics.cluster_id", "no cluster %s", strconv.Quote(o.ClusterID))
	}
	m := p.cfg.Metrics.Snapshot(metricset.Filter{ClusterID: o.ClusterID, BackendID: o.BackendID, Buckets: o.Buckets})
	return &order.Content{Metrics: &m}, nil
}

// backendHealth counts the backends that are up (or in backoff) and down.
func (p *proxy) backendHealth() (up, down int) {
	for _, c := range p.clusters {
		for _, b := range c.Backends() {
			if b.Status() == health.Down {
				down++
			} else {
				up++
			}
		}
	}
	return up, down
}

// memoryBytes is the memory the Go runtime holds from the system.
func memoryBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func goroutines() int { return runtime.NumGoroutine() }
