package metrics

import "github.com/prometheus/client_golang/prometheus"

// The Prometheus descriptions of every exported series.
var (
	lAccepted    = listenerDesc("connections_accepted_total", "Client connections accepted.")
	lActive      = listenerDesc("connections_active", "Client connections open now.")
	lRequests    = listenerDesc("requests_total", "Request heads received and parsed, including those the proxy answers itself.")
	lResponses   = listenerDesc("responses_total", "Responses sent to clients, by status class.", "class")
	lBytesIn     = listenerDesc("received_bytes_total", "Bytes read from clients.")
	lBytesOut    = listenerDesc("sent_bytes_total", "Bytes written to clients.")
	lTunnels     = listenerDesc("tunnels_active", "Upgraded connections relaying bytes now.")
	lErrors      = listenerDesc("errors_total", "Client-side errors, by kind (parse, timeout, reset, tls).", "kind")
	lTLS         = listenerDesc("tls_handshakes_total", "TLS handshakes completed.")
	lTLSFail     = listenerDesc("tls_handshake_failures_total", "TLS handshakes failed or timed out.")
	lOCSP        = listenerDesc("ocsp_staples_total", "OCSP responses fetched, verified and stapled.")
	lOCSPFail    = listenerDesc("ocsp_failures_total", "OCSP fetches that gave nothing to staple (responder failed, invalid response, revoked).")
	lACME        = listenerDesc("acme_certificates_total", "Certificates obtained from the ACME CA and published on the listener.")
	lACMEFail    = listenerDesc("acme_failures_total", "ACME attempts that failed for a host name of the listener.")
	lRequestTime = listenerDesc("request_duration_seconds", "Time from a request's first byte to its response's last byte.")

	cRequests     = clusterDesc("requests_total", "Requests routed to the cluster.")
	cResponses    = clusterDesc("responses_total", "Responses to the cluster's requests, by status class.", "class")
	cRetries      = clusterDesc("retries_total", "Requests sent again after a failed attempt.")
	cErrors       = clusterDesc("errors_total", "Backend-side errors, by kind (connect, timeout, reset, parse).", "kind")
	cUp           = clusterDesc("backends_up", "Backends usable now.")
	cDown         = clusterDesc("backends_down", "Backends unusable now.")
	cRequestTime  = clusterDesc("request_duration_seconds", "Time from a request's first byte to its response's last byte.")
	cResponseTime = clusterDesc("backend_response_duration_seconds", "Backend time to first byte: from writing the request to the first response byte.")
	cConnectTime  = clusterDesc("connect_duration_seconds", "Backend connect time, successful or not.")

	bRequests      = backendDesc("requests_total", "Requests sent to the backend, each attempt counted.")
	bResponses     = backendDesc("responses_total", "Responses received from the backend, by status class.", "class")
	bSent          = backendDesc("sent_bytes_total", "Bytes written to the backend.")
	bReceived      = backendDesc("received_bytes_total", "Bytes read from the backend.")
	bConnectErrors = backendDesc("connect_errors_total", "Failed connects to the backend.")
	bRetries       = backendDesc("retries_total", "Failed attempts on the backend that led to a retry.")
	bInFlight      = backendDesc("in_flight_requests", "Requests holding the backend now.")
	bResponseTime  = backendDesc("response_duration_seconds", "Time to first byte: from writing the request to the first response byte.")
	bConnectTime   = backendDesc("connect_duration_seconds", "Connect time, successful or not.")
)

var allDescs = []*prometheus.Desc{
	lAccepted, lActive, lRequests, lResponses, lBytesIn, lBytesOut, lTunnels, lErrors, lTLS, lTLSFail, lOCSP, lOCSPFail, lACME, lACMEFail, lRequestTime,
	cRequests, cResponses, cRetries, cErrors, cUp, cDown, cRequestTime, cResponseTime, cConnectTime,
	bRequests, bResponses, bSent, bReceived, bConnectErrors, bRetries, bInFlight, bResponseTime, bConnectTime,
	alLines, fleetConnected, fleetRevision, fleetRevisions, fleetResyncs, fleetOutages,
}

func listenerDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("sluice_listener_"+name, help, append([]string{"listener"}, labels...), nil)
}

func clusterDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("sluice_cluster_"+name, help, append([]string{"cluster"}, labels...), nil)
}

func backendDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("sluice_backend_"+name, help, append([]string{"cluster", "backend"}, labels...), nil)
}
