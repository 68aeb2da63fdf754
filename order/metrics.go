package order

// MetricsContent is the answer to a metrics query: the metric sets of the
// listeners, clusters and backends that exist now, each list sorted by key.
// A query filtered by cluster or backend leaves out the lists the filter
// excludes (see metrics.Filter). Counts are cumulative since the object was
// added.
type MetricsContent struct {
	Listeners []ListenerMetrics `json:"listeners,omitempty"`
	Clusters  []ClusterMetrics  `json:"clusters,omitempty"`
	Backends  []BackendMetrics  `json:"backends,omitempty"`
	// BucketBoundsMs, set when the query asked for buckets, are the
	// inclusive upper bounds of the histogram buckets in milliseconds, in
	// increasing order; the last bucket (one more than the bounds) holds
	// the durations above the last bound.
	BucketBoundsMs []float64 `json:"bucket_bounds_ms,omitempty"`
}

// ListenerMetrics are the figures of one listener.
type ListenerMetrics struct {
	Address              string        `json:"address"`
	ConnectionsAccepted  int64         `json:"connections_accepted"`
	ConnectionsActive    int64         `json:"connections_active"`
	Requests             int64         `json:"requests"`
	Responses            StatusClasses `json:"responses"`
	BytesIn              int64         `json:"bytes_in"`  // read from clients
	BytesOut             int64         `json:"bytes_out"` // written to clients
	TunnelsActive        int64         `json:"tunnels_active"`
	Errors               ClientErrors  `json:"errors"`
	TLSHandshakes        int64         `json:"tls_handshakes"`
	TLSHandshakeFailures int64         `json:"tls_handshake_failures"`
	OCSPStaples          int64         `json:"ocsp_staples,omitempty"`
	OCSPFailures         int64         `json:"ocsp_failures,omitempty"`
	ACMECertificates     int64         `json:"acme_certificates,omitempty"`
	ACMEFailures         int64         `json:"acme_failures,omitempty"`
	RequestTime          TimeSummary   `json:"request_time"`
}

// ClusterMetrics are the figures of one cluster.
type ClusterMetrics struct {
	ClusterID    string        `json:"cluster_id"`
	Requests     int64         `json:"requests"`
	Responses    StatusClasses `json:"responses"`
	Retries      int64         `json:"retries"`
	Errors       BackendErrors `json:"errors"`
	BackendsUp   int64         `json:"backends_up"`
	BackendsDown int64         `json:"backends_down"`
	RequestTime  TimeSummary   `json:"request_time"`
	// ResponseTime is the backends' time to first byte.
	ResponseTime TimeSummary `json:"response_time"`
	ConnectTime  TimeSummary `json:"connect_time"`
}

// BackendMetrics are the figures of one backend.
type BackendMetrics struct {
	ClusterID     string        `json:"cluster_id"`
	BackendID     string        `json:"backend_id"`
	Requests      int64         `json:"requests"`
	Responses     StatusClasses `json:"responses"`
	BytesSent     int64         `json:"bytes_sent"`     // written to the backend
	BytesReceived int64         `json:"bytes_received"` // read from the backend
	ConnectErrors int64         `json:"connect_errors"`
	Retries       int64         `json:"retries"`
	InFlight      int64         `json:"in_flight"`
	// ResponseTime is the time to first byte.
	ResponseTime TimeSummary `json:"response_time"`
	ConnectTime  TimeSummary `json:"connect_time"`
}

// StatusClasses counts responses by HTTP status class.
type StatusClasses struct {
	Informational int64 `json:"1xx"`
	Success       int64 `json:"2xx"`
	Redirection   int64 `json:"3xx"`
	ClientError   int64 `json:"4xx"`
	ServerError   int64 `json:"5xx"`
}

// ClientErrors counts a listener's client-side errors by kind.
type ClientErrors struct {
	Parse   int64 `json:"parse"`   // unparsable or refused requests
	Timeout int64 `json:"timeout"` // clients silent past a timeout mid-exchange
	Reset   int64 `json:"reset"`   // clients gone mid-exchange
	TLS     int64 `json:"tls"`     // TLS errors after the handshake
}

// BackendErrors counts a cluster's backend-side errors by kind.
type BackendErrors struct {
	Connect int64 `json:"connect"` // failed connects
	Timeout int64 `json:"timeout"` // backends silent past the back timeout
	Reset   int64 `json:"reset"`   // connections lost before the response's end
	Parse   int64 `json:"parse"`   // unparsable responses
	TLS     int64 `json:"tls"`     // failed TLS handshakes with backends
}

// TimeSummary summarizes a duration histogram. The quantiles are estimated
// from fixed buckets by linear interpolation inside the bucket (so they are
// within the bucket's width of the truth) and are 0 when Count is 0.
type TimeSummary struct {
	Count int64   `json:"count"`
	SumMs float64 `json:"sum_ms"`
	P50Ms float64 `json:"p50_ms"`
	P90Ms float64 `json:"p90_ms"`
	P99Ms float64 `json:"p99_ms"`
	// Buckets, set when the query asked for them, are the number of
	// observations in each bucket (not cumulative; see
	// MetricsContent.BucketBoundsMs), since the object was added. The
	// difference of two answers gives the observations between them.
	Buckets []int64 `json:"buckets,omitempty"`
}

// Metrics answers with Content.Metrics: the figures of every listener,
// cluster and backend, or of one cluster (its backends included) or one
// backend.
type Metrics struct {
	ClusterID string `json:"cluster_id,omitempty"`
	BackendID string `json:"backend_id,omitempty"`
	// Buckets asks for each histogram's bucket counts too
	// (TimeSummary.Buckets, MetricsContent.BucketBoundsMs): what `sluice
	// top` uses to show quantiles over the last seconds rather than since
	// the start (and the admin API's metrics stream, see metrics.Rates).
	Buckets bool `json:"buckets,omitempty"`
}

// Kind implements Order.
func (Metrics) Kind() Kind { return "metrics" }

// Validate implements Order.
func (m Metrics) Validate() error {
	if m.ClusterID != "" {
		if err := ValidateID("metrics.cluster_id", m.ClusterID); err != nil {
			return err
		}
	}
	if m.BackendID != "" {
		return ValidateID("metrics.backend_id", m.BackendID)
	}
	return nil
}
