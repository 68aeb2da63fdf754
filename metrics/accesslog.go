package metrics

import "github.com/prometheus/client_golang/prometheus"

// AccessLogLines are an access log's line counts since it was opened.
type AccessLogLines struct {
	// Written counts lines written to the target; Dropped lines dropped
	// because the writer's queue was full (the target slower than the
	// traffic); Failed lines lost because the target could not be opened,
	// reached or written.
	Written, Dropped, Failed int64
}

// SetAccessLog makes the Prometheus export show the counts f returns as
// sluice_access_log_lines_total{result="written|dropped|failed"}; nil
// removes them. f is called at each collection, from any goroutine.
func (r *Registry) SetAccessLog(f func() AccessLogLines) {
	if f == nil {
		r.accessLog.Store(nil)
		return
	}
	r.accessLog.Store(&f)
}

var alLines = prometheus.NewDesc("sluice_access_log_lines_total",
	"Access log lines by result: written, dropped (the writer's queue was full) or failed (the target could not be written).",
	[]string{"result"}, nil)

func (r *Registry) collectAccessLog(ch chan<- prometheus.Metric) {
	p := r.accessLog.Load()
	if p == nil {
		return
	}
	n := (*p)()
	ch <- constMetric(alLines, prometheus.CounterValue, float64(n.Written), []string{"written"})
	ch <- constMetric(alLines, prometheus.CounterValue, float64(n.Dropped), []string{"dropped"})
	ch <- constMetric(alLines, prometheus.CounterValue, float64(n.Failed), []string{"failed"})
}
