package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler returns an http.Handler that serves, in the Prometheus exposition
// formats, the registry's sets (see [Registry.Collector]) and the Go runtime
// and process collectors (go_*, process_*). Mount it at /metrics. Each
// scrape walks the registry; a failing collector does not hide the others.
func (r *Registry) Handler() (http.Handler, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		r.Collector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register prometheus collector: %w", err)
		}
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}), nil
}

// Collector returns a prometheus.Collector that reads the sets registered at
// each collection. Series are named sluice_<object>_<metric> with the labels
// listener (its address), cluster (its id) and backend (its id); responses
// carry class ("1xx" … "5xx") and errors kind. Counters end in _total,
// durations are histograms in seconds with the buckets of [Bounds]. An
// unregistered object's series are absent from the next collection.
func (r *Registry) Collector() prometheus.Collector { return collector{r} }

type collector struct{ r *Registry }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ls, cs, bs := c.r.contents()
	for _, e := range ls {
		collectListener(ch, e.key, e.set)
	}
	for _, e := range cs {
		collectCluster(ch, e.key, e.set)
	}
	for _, e := range bs {
		collectBackend(ch, e.key, e.set)
	}
	c.r.collectAccessLog(ch)
	c.r.collectSpans(ch)
	c.r.collectFleet(ch)
}

func collectListener(ch chan<- prometheus.Metric, addr string, l *Listener) {
	counter(ch, lAccepted, &l.ConnectionsAccepted, addr)
	gauge(ch, lActive, &l.ConnectionsActive, addr)
	counter(ch, lRequests, &l.Requests, addr)
	responses(ch, lResponses, &l.Responses, addr)
	counter(ch, lBytesIn, &l.BytesIn, addr)
	counter(ch, lBytesOut, &l.BytesOut, addr)
	gauge(ch, lTunnels, &l.TunnelsActive, addr)
	for k := range l.Errors {
		counter(ch, lErrors, &l.Errors[k], addr, clientErrorNames[k])
	}
	counter(ch, lTLS, &l.TLSHandshakes, addr)
	counter(ch, lTLSFail, &l.TLSHandshakeFailures, addr)
	counter(ch, lOCSP, &l.OCSPStaples, addr)
	counter(ch, lOCSPFail, &l.OCSPFailures, addr)
	counter(ch, lACME, &l.ACMECertificates, addr)
	counter(ch, lACMEFail, &l.ACMEFailures, addr)
	histogram(ch, lRequestTime, &l.RequestTime, addr)
}

func collectCluster(ch chan<- prometheus.Metric, id string, c *Cluster) {
	counter(ch, cRequests, &c.Requests, id)
	responses(ch, cResponses, &c.Responses, id)
	counter(ch, cRetries, &c.Retries, id)
	for k := range c.Errors {
		counter(ch, cErrors, &c.Errors[k], id, backendErrorNames[k])
	}
	gauge(ch, cUp, &c.BackendsUp, id)
	gauge(ch, cDown, &c.BackendsDown, id)
	histogram(ch, cRequestTime, &c.RequestTime, id)
	histogram(ch, cResponseTime, &c.ResponseTime, id)
	histogram(ch, cConnectTime, &c.ConnectTime, id)
}

func collectBackend(ch chan<- prometheus.Metric, k BackendKey, b *Backend) {
	counter(ch, bRequests, &b.Requests, k.Cluster, k.Backend)
	responses(ch, bResponses, &b.Responses, k.Cluster, k.Backend)
	counter(ch, bSent, &b.BytesSent, k.Cluster, k.Backend)
	counter(ch, bReceived, &b.BytesReceived, k.Cluster, k.Backend)
	counter(ch, bConnectErrors, &b.ConnectErrors, k.Cluster, k.Backend)
	counter(ch, bRetries, &b.Retries, k.Cluster, k.Backend)
	gauge(ch, bInFlight, &b.InFlight, k.Cluster, k.Backend)
	histogram(ch, bResponseTime, &b.ResponseTime, k.Cluster, k.Backend)
	histogram(ch, bConnectTime, &b.ConnectTime, k.Cluster, k.Backend)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, c *Counter, labels ...string) {
	ch <- constMetric(d, prometheus.CounterValue, float64(c.Load()), labels)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, g *Gauge, labels ...string) {
	ch <- constMetric(d, prometheus.GaugeValue, float64(g.Load()), labels)
}

func responses(ch chan<- prometheus.Metric, d *prometheus.Desc, r *Responses, labels ...string) {
	for i := range r {
		counter(ch, d, &r[i], append(labels[:len(labels):len(labels)], classNames[i])...)
	}
}

func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

func histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, h *Histogram, labels ...string) {
	s := h.Snapshot()
	buckets := make(map[float64]uint64, NumBounds)
	var cum int64
	for i, b := range bounds {
		cum += s.Counts[i]
		buckets[b.Seconds()] = uint64(cum)
	}
	count := cum + s.Counts[NumBounds]
	m, err := prometheus.NewConstHistogram(d, uint64(count), float64(s.SumMicros)/1e6, buckets, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}
