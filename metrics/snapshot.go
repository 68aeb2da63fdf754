package metrics

import (
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// Filter selects what [Registry.Snapshot] reports. The zero Filter selects
// every set.
type Filter struct {
	// ClusterID, when set, selects that cluster and its backends; listeners
	// are left out.
	ClusterID string
	// BackendID, when set, selects only the backends with that id (within
	// ClusterID when it is set too); listeners and clusters are left out.
	BackendID string
}

func (f Filter) listeners() bool { return f.ClusterID == "" && f.BackendID == "" }

func (f Filter) cluster(id string) bool {
	return f.BackendID == "" && (f.ClusterID == "" || f.ClusterID == id)
}

func (f Filter) backend(k BackendKey) bool {
	return (f.ClusterID == "" || f.ClusterID == k.Cluster) && (f.BackendID == "" || f.BackendID == k.Backend)
}

// Snapshot returns the figures of the registered sets that f selects, in the
// wire form of the metrics order, each list sorted by key. Durations are in
// milliseconds.
func (r *Registry) Snapshot(f Filter) order.MetricsContent {
	var out order.MetricsContent
	ls, cs, bs := r.contents()
	if f.listeners() {
		for _, e := range ls {
			out.Listeners = append(out.Listeners, listenerMetrics(e.key, e.set))
		}
	}
	for _, e := range cs {
		if f.cluster(e.key) {
			out.Clusters = append(out.Clusters, clusterMetrics(e.key, e.set))
		}
	}
	for _, e := range bs {
		if f.backend(e.key) {
			out.Backends = append(out.Backends, backendMetrics(e.key, e.set))
		}
	}
	return out
}

func listenerMetrics(addr string, l *Listener) order.ListenerMetrics {
	return order.ListenerMetrics{
		Address:             addr,
		ConnectionsAccepted: l.ConnectionsAccepted.Load(),
		ConnectionsActive:   l.ConnectionsActive.Load(),
		Requests:            l.Requests.Load(),
		Responses:           statusClasses(&l.Responses),
		BytesIn:             l.BytesIn.Load(),
		BytesOut:            l.BytesOut.Load(),
		TunnelsActive:       l.TunnelsActive.Load(),
		Errors: order.ClientErrors{
			Parse:   l.Errors[ClientParse].Load(),
			Timeout: l.Errors[ClientTimeout].Load(),
			Reset:   l.Errors[ClientReset].Load(),
			TLS:     l.Errors[ClientTLS].Load(),
		},
		TLSHandshakes:        l.TLSHandshakes.Load(),
		TLSHandshakeFailures: l.TLSHandshakeFailures.Load(),
		OCSPStaples:          l.OCSPStaples.Load(),
		OCSPFailures:         l.OCSPFailures.Load(),
		ACMECertificates:     l.ACMECertificates.Load(),
		ACMEFailures:         l.ACMEFailures.Load(),
		RequestTime:          timeSummary(&l.RequestTime),
	}
}

func clusterMetrics(id string, c *Cluster) order.ClusterMetrics {
	return order.ClusterMetrics{
		ClusterID:    id,
		Requests:     c.Requests.Load(),
		Responses:    statusClasses(&c.Responses),
		Retries:      c.Retries.Load(),
		Errors:       backendErrors(&c.Errors),
		BackendsUp:   c.BackendsUp.Load(),
		BackendsDown: c.BackendsDown.Load(),
		RequestTime:  timeSummary(&c.RequestTime),
		ResponseTime: timeSummary(&c.ResponseTime),
		ConnectTime:  timeSummary(&c.ConnectTime),
	}
}

func backendMetrics(k BackendKey, b *Backend) order.BackendMetrics {
	return order.BackendMetrics{
		ClusterID:     k.Cluster,
		BackendID:     k.Backend,
		Requests:      b.Requests.Load(),
		Responses:     statusClasses(&b.Responses),
		BytesSent:     b.BytesSent.Load(),
		BytesReceived: b.BytesReceived.Load(),
		ConnectErrors: b.ConnectErrors.Load(),
		Retries:       b.Retries.Load(),
		InFlight:      b.InFlight.Load(),
		ResponseTime:  timeSummary(&b.ResponseTime),
		ConnectTime:   timeSummary(&b.ConnectTime),
	}
}

func statusClasses(r *Responses) order.StatusClasses {
	return order.StatusClasses{
		Informational: r[0].Load(),
		Success:       r[1].Load(),
		Redirection:   r[2].Load(),
		ClientError:   r[3].Load(),
		ServerError:   r[4].Load(),
	}
}

func backendErrors(e *[NumBackendErrors]Counter) order.BackendErrors {
	return order.BackendErrors{
		Connect: e[BackendConnect].Load(),
		Timeout: e[BackendTimeout].Load(),
		Reset:   e[BackendReset].Load(),
		Parse:   e[BackendParse].Load(),
		TLS:     e[BackendTLS].Load(),
	}
}

func timeSummary(h *Histogram) order.TimeSummary {
	s := h.Snapshot()
	return order.TimeSummary{
		Count: s.Count(),
		SumMs: float64(s.SumMicros) / 1e3,
		P50Ms: ms(s.Quantile(0.50)),
		P90Ms: ms(s.Quantile(0.90)),
		P99Ms: ms(s.Quantile(0.99)),
	}
}

// ms converts d to milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Round(time.Microsecond)) / 1e6 }
