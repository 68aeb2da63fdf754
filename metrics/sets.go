package metrics

// Listener is the metric set of one listener. The data path counts through
// its fields; see the package documentation for the concurrency contract.
type Listener struct {
	// ConnectionsAccepted counts client connections accepted.
	ConnectionsAccepted Counter
	// ConnectionsActive is the number of client connections open now.
	ConnectionsActive Gauge
	// Requests counts request heads received and parsed, including those
	// the proxy answers itself (404, 503, redirects).
	Requests Counter
	// Responses counts response heads sent to clients by status class,
	// including the proxy's own answers (and the 400s of unparsable
	// requests).
	Responses Responses
	// BytesIn counts bytes read from clients (heads, bodies, tunnel bytes).
	BytesIn Counter
	// BytesOut counts bytes written to clients (heads, bodies, tunnel
	// bytes).
	BytesOut Counter
	// TunnelsActive is the number of upgraded connections (WebSocket,
	// CONNECT, TCP) relaying bytes now.
	TunnelsActive Gauge
	// Errors counts client-side errors by kind.
	Errors [NumClientErrors]Counter
	// TLSHandshakes counts completed TLS handshakes.
	TLSHandshakes Counter
	// TLSHandshakeFailures counts TLS handshakes that failed or timed out.
	TLSHandshakeFailures Counter
	// OCSPStaples counts OCSP responses fetched, verified and stapled for
	// the listener's certificates.
	OCSPStaples Counter
	// OCSPFailures counts OCSP fetches that gave nothing to staple (the
	// responder failed, an invalid response, a revoked certificate).
	OCSPFailures Counter
	// ACMECertificates counts certificates obtained from the ACME CA (or
	// renewed) and published on the listener; ACMEFailures the attempts
	// that failed for one of its host names.
	ACMECertificates, ACMEFailures Counter
	// RequestTime observes the time from the first byte of a request head
	// to the last byte of its response written to the client.
	RequestTime Histogram
}

// Cluster is the metric set of one cluster: the requests routed to it,
// whichever backend served them.
type Cluster struct {
	// Requests counts requests routed to the cluster.
	Requests Counter
	// Responses counts the responses to those requests by status class,
	// including the proxy's own answers (503 when no backend could serve).
	Responses Responses
	// Retries counts requests sent again (to the same or another backend)
	// after a failed attempt.
	Retries Counter
	// Errors counts backend-side errors by kind.
	Errors [NumBackendErrors]Counter
	// BackendsUp is the number of the cluster's backends usable now. The
	// proxy sets it when a backend is added, removed, or changes health.
	BackendsUp Gauge
	// BackendsDown is the number of the cluster's backends unusable now.
	BackendsDown Gauge
	// RequestTime observes the time from the first byte of a request head
	// to the last byte of its response written to the client.
	RequestTime Histogram
	// ResponseTime observes the backend's time to first byte: from the
	// start of writing the request to the backend to the first byte of its
	// response read.
	ResponseTime Histogram
	// ConnectTime observes backend connects, successful or not: from the
	// dial's start to its outcome. Requests served on a pooled connection
	// observe nothing here.
	ConnectTime Histogram
}

// Backend is the metric set of one backend of a cluster.
type Backend struct {
	// Requests counts requests sent to the backend (each attempt of a
	// retried request counts).
	Requests Counter
	// Responses counts response heads received from the backend by status
	// class.
	Responses Responses
	// BytesSent counts bytes written to the backend (heads, bodies, tunnel
	// bytes; plaintext under TLS). To an HTTP/2 backend: every byte of its
	// connections, counted as it is written (its streams share frames).
	BytesSent Counter
	// BytesReceived counts bytes read from the backend, as BytesSent.
	BytesReceived Counter
	// ConnectErrors counts failed connects to the backend.
	ConnectErrors Counter
	// Retries counts attempts on this backend that failed and led the
	// request to be sent again.
	Retries Counter
	// InFlight is the number of requests holding the backend now. The
	// backend package keeps the authoritative count; the proxy mirrors it
	// here (Inc when a request takes the backend, Dec when it releases it).
	InFlight Gauge
	// ResponseTime observes the time to first byte: from the start of
	// writing the request to the first byte of the response read.
	ResponseTime Histogram
	// ConnectTime observes connects to the backend, successful or not.
	ConnectTime Histogram
}
