package metrics

import (
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// Rates summarises the figures between two answers of the metrics order
// taken interval apart, prev the earlier (nil: none, so everything counted
// since the objects were added is the interval's), cur the later, both
// asked with buckets (order.Metrics.Buckets; without them the quantiles are
// 0). It is pure: the caller keeps the previous answer. An object absent
// from prev (added since) or whose counts went down (removed and added
// again) counts from zero. now stamps the summary. Lists come in cur's
// order (sorted by key), never nil.
func Rates(prev, cur *order.MetricsContent, interval time.Duration, now time.Time) order.MetricsRates {
	secs := interval.Seconds()
	if secs <= 0 {
		secs = 1
	}
	r := order.MetricsRates{Time: now.UTC().Format("2006-01-02T15:04:05.000Z07:00"), IntervalSeconds: secs,
		Clusters: []order.ClusterRates{}, Backends: []order.BackendRates{}}
	if prev == nil {
		prev = &order.MetricsContent{}
	}
	var (
		all       HistogramSnapshot
		responses order.StatusClasses
		requests  int64
	)
	listeners := map[string]*order.ListenerMetrics{}
	for i := range prev.Listeners {
		listeners[prev.Listeners[i].Address] = &prev.Listeners[i]
	}
	for i := range cur.Listeners {
		c := &cur.Listeners[i]
		r.Connections += c.ConnectionsActive
		p := listeners[c.Address]
		if p == nil || c.Requests < p.Requests {
			p = &order.ListenerMetrics{}
		}
		requests += c.Requests - p.Requests
		responses = addClasses(responses, subClasses(c.Responses, p.Responses))
		d, _ := Between(p.RequestTime, prev.BucketBoundsMs, c.RequestTime, cur.BucketBoundsMs)
		for j := range all.Counts {
			all.Counts[j] += d.Counts[j]
		}
	}
	r.RequestsPerSecond = float64(requests) / secs
	r.ErrorRate = errorRate(responses)
	r.P50Ms, r.P99Ms = ms(all.Quantile(0.5)), ms(all.Quantile(0.99))

	clusters := map[string]*order.ClusterMetrics{}
	for i := range prev.Clusters {
		clusters[prev.Clusters[i].ClusterID] = &prev.Clusters[i]
	}
	for i := range cur.Clusters {
		c := &cur.Clusters[i]
		p := clusters[c.ClusterID]
		if p == nil || c.Requests < p.Requests {
			p = &order.ClusterMetrics{}
		}
		d, _ := Between(p.RequestTime, prev.BucketBoundsMs, c.RequestTime, cur.BucketBoundsMs)
		r.Clusters = append(r.Clusters, order.ClusterRates{ClusterID: c.ClusterID,
			RequestsPerSecond: float64(c.Requests-p.Requests) / secs,
			ErrorRate:         errorRate(subClasses(c.Responses, p.Responses)),
			P50Ms:             ms(d.Quantile(0.5)), P99Ms: ms(d.Quantile(0.99)),
			BackendsUp: c.BackendsUp, BackendsDown: c.BackendsDown})
	}

	backends := map[BackendKey]*order.BackendMetrics{}
	for i := range prev.Backends {
		b := &prev.Backends[i]
		backends[BackendKey{b.ClusterID, b.BackendID}] = b
	}
	for i := range cur.Backends {
		c := &cur.Backends[i]
		p := backends[BackendKey{c.ClusterID, c.BackendID}]
		if p == nil || c.Requests < p.Requests {
			p = &order.BackendMetrics{}
		}
		d, _ := Between(p.ResponseTime, prev.BucketBoundsMs, c.ResponseTime, cur.BucketBoundsMs)
		r.Backends = append(r.Backends, order.BackendRates{ClusterID: c.ClusterID, BackendID: c.BackendID,
			RequestsPerSecond: float64(c.Requests-p.Requests) / secs,
			ErrorRate:         errorRate(subClasses(c.Responses, p.Responses)),
			P50Ms:             ms(d.Quantile(0.5)), P99Ms: ms(d.Quantile(0.99)),
			InFlight: c.InFlight})
	}
	return r
}

func subClasses(a, b order.StatusClasses) order.StatusClasses {
	return order.StatusClasses{Informational: a.Informational - b.Informational, Success: a.Success - b.Success,
		Redirection: a.Redirection - b.Redirection, ClientError: a.ClientError - b.ClientError,
		ServerError: a.ServerError - b.ServerError}
}

func addClasses(a, b order.StatusClasses) order.StatusClasses {
	return subClasses(a, order.StatusClasses{Informational: -b.Informational, Success: -b.Success,
		Redirection: -b.Redirection, ClientError: -b.ClientError, ServerError: -b.ServerError})
}

// errorRate is the share of 5xx among the responses, 0 when there is none.
func errorRate(c order.StatusClasses) float64 {
	n := c.Informational + c.Success + c.Redirection + c.ClientError + c.ServerError
	if n <= 0 || c.ServerError <= 0 {
		return 0
	}
	return float64(c.ServerError) / float64(n)
}
