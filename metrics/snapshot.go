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
	// Buckets adds each histogram's bucket counts to its summary
	// (order.TimeSummary.Buckets) and the bucket bounds to the content, so
	// that a client can compute quantiles over an interval from two
	// snapshots (see [SnapshotOf]).
	Buckets bool
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
	if f.Buckets {
		out.BucketBoundsMs = make([]float64, NumBounds)
		for i, b := range bounds {
			out.BucketBoundsMs[i] = ms(b)
		}
	}
	ls, cs, bs := r.contents()
	if f.listeners() {
		for _, e := range ls {
			out.Listeners = append(out.Listeners, listenerMetrics(e.key, e.set, f.Buckets))
		}
	}
	for _, e := range cs {
		if f.cluster(e.key) {
			out.Clusters = append(out.Clusters, clusterMetrics(e.key, e.set, f.Buckets))
		}
	}
	for _, e := range bs {
		if f.backend(e.key) {
			out.Backends = append(out.Backends, backendMetrics(e.key, e.set, f.Buckets))
		}
	}
	return out
}

func listenerMetrics(addr string, l *Listener, buckets bool) order.ListenerMetrics {
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
		RequestTime:          timeSummary(&l.RequestTime, buckets),
	}
}

func clusterMetrics(id string, c *Cluster, buckets bool) order.ClusterMetrics {
	return order.ClusterMetrics{
		ClusterID:    id,
		Requests:     c.Requests.Load(),
		Responses:    statusClasses(&c.Responses),
		Retries:      c.Retries.Load(),
		Errors:       backendErrors(&c.Errors),
		BackendsUp:   c.BackendsUp.Load(),
		BackendsDown: c.BackendsDown.Load(),
		RequestTime:  timeSummary(&c.RequestTime, buckets),
		ResponseTime: timeSummary(&c.ResponseTime, buckets),
		ConnectTime:  timeSummary(&c.ConnectTime, buckets),
	}
}

func backendMetrics(k BackendKey, b *Backend, buckets bool) order.BackendMetrics {
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
		ResponseTime:  timeSummary(&b.ResponseTime, buckets),
		ConnectTime:   timeSummary(&b.ConnectTime, buckets),
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

func timeSummary(h *Histogram, buckets bool) order.TimeSummary {
	s := h.Snapshot()
	t := order.TimeSummary{
		Count: s.Count(),
		SumMs: float64(s.SumMicros) / 1e3,
		P50Ms: ms(s.Quantile(0.50)),
		P90Ms: ms(s.Quantile(0.90)),
		P99Ms: ms(s.Quantile(0.99)),
	}
	if buckets {
		t.Buckets = append([]int64(nil), s.Counts[:]...)
	}
	return t
}

// SnapshotOf turns a summary that carries its buckets (a metrics query
// with buckets, see [Filter]) back into a [HistogramSnapshot], so that two
// of them can be subtracted ([HistogramSnapshot.Sub]) and the difference's
// quantiles estimated. bounds are the content's BucketBoundsMs; ok is
// false when the summary has no buckets or when its bounds are not this
// package's (a proxy of another version), whose quantiles would be wrong.
func SnapshotOf(t order.TimeSummary, boundsMs []float64) (s HistogramSnapshot, ok bool) {
	if len(t.Buckets) != NumBuckets || len(boundsMs) != NumBounds {
		return s, false
	}
	for i, b := range bounds {
		if boundsMs[i] != ms(b) {
			return s, false
		}
	}
	copy(s.Counts[:], t.Buckets)
	s.SumMicros = int64(t.SumMs * 1e3)
	return s, true
}

// ms converts d to milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Round(time.Microsecond)) / 1e6 }

// Between is the histogram of the observations made between two summaries
// of one histogram, prev taken before cur, each from a metrics answer with
// buckets whose BucketBoundsMs are prevBounds and curBounds. A prev without
// buckets (the object was added since) counts from zero; a histogram whose
// counts went down was reset in between, and its own counts are then those
// of the interval. ok is false when cur has no buckets, or either has the
// bounds of another version (see [SnapshotOf]). The one place where `sluice
// top` and the admin API's metrics stream take a window's distribution.
func Between(prev order.TimeSummary, prevBounds []float64, cur order.TimeSummary, curBounds []float64) (HistogramSnapshot, bool) {
	t, ok := SnapshotOf(cur, curBounds)
	if !ok {
		return HistogramSnapshot{}, false
	}
	if prev.Buckets == nil {
		return t, true
	}
	f, ok := SnapshotOf(prev, prevBounds)
	if !ok {
		return HistogramSnapshot{}, false
	}
	d := t.Sub(&f)
	for _, c := range d.Counts {
		if c < 0 {
			return t, true
		}
	}
	return d, true
}
