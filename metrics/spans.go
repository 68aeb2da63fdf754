package metrics

import "github.com/prometheus/client_golang/prometheus"

// Spans are the tracer's span counts since it started.
type Spans struct {
	// Exported spans reached the collector; Dropped found the export
	// queue full; Failed were in an export that failed.
	Exported, Dropped, Failed int64
}

// SetSpans makes the Prometheus export show the counts f returns as
// sluice_tracing_spans_total{result="exported|dropped|failed"}; nil
// removes them. f is called at each collection, from any goroutine.
func (r *Registry) SetSpans(f func() Spans) {
	if f == nil {
		r.spans.Store(nil)
		return
	}
	r.spans.Store(&f)
}

var spanCounts = prometheus.NewDesc("sluice_tracing_spans_total",
	"Spans of sampled requests by result: exported, dropped (the export queue was full) or failed (the collector could not be reached or refused them).",
	[]string{"result"}, nil)

func (r *Registry) collectSpans(ch chan<- prometheus.Metric) {
	p := r.spans.Load()
	if p == nil {
		return
	}
	n := (*p)()
	ch <- constMetric(spanCounts, prometheus.CounterValue, float64(n.Exported), []string{"exported"})
	ch <- constMetric(spanCounts, prometheus.CounterValue, float64(n.Dropped), []string{"dropped"})
	ch <- constMetric(spanCounts, prometheus.CounterValue, float64(n.Failed), []string{"failed"})
}
