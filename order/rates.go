package order

// MetricsRates summarises what happened between two metrics answers (see
// metrics.Rates): the admin API's /api/metrics/stream sends one a second.
// Rates are per second over the interval; the quantiles are those of the
// interval's requests (0 when there was none), estimated from the
// histograms' buckets as TimeSummary's are; an error rate is the share of
// the interval's responses that were 5xx, 0 to 1.
type MetricsRates struct {
	// Time is the end of the interval, RFC 3339 with milliseconds, UTC.
	Time            string  `json:"time"`
	IntervalSeconds float64 `json:"interval_seconds"`
	// Connections are the client connections open now, on every listener.
	Connections       int64   `json:"connections"`
	RequestsPerSecond float64 `json:"requests_per_second"`
	ErrorRate         float64 `json:"error_rate"`
	// P50Ms and P99Ms are of the listeners' request times (first byte of
	// the request to the end of the response).
	P50Ms    float64        `json:"p50_ms"`
	P99Ms    float64        `json:"p99_ms"`
	Clusters []ClusterRates `json:"clusters"`
	Backends []BackendRates `json:"backends"`
}

// ClusterRates is one cluster's part of MetricsRates; its quantiles are of
// its request times.
type ClusterRates struct {
	ClusterID         string  `json:"cluster_id"`
	RequestsPerSecond float64 `json:"requests_per_second"`
	ErrorRate         float64 `json:"error_rate"`
	P50Ms             float64 `json:"p50_ms"`
	P99Ms             float64 `json:"p99_ms"`
	BackendsUp        int64   `json:"backends_up"`
	BackendsDown      int64   `json:"backends_down"`
}

// BackendRates is one backend's part of MetricsRates; its quantiles are
// of its time to first byte, and InFlight counts its requests now.
type BackendRates struct {
	ClusterID         string  `json:"cluster_id"`
	BackendID         string  `json:"backend_id"`
	RequestsPerSecond float64 `json:"requests_per_second"`
	ErrorRate         float64 `json:"error_rate"`
	P50Ms             float64 `json:"p50_ms"`
	P99Ms             float64 `json:"p99_ms"`
	InFlight          int64   `json:"in_flight"`
}
