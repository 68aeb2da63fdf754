package admin

import (
	"net/http"

	"github.com/sluiceproxy/sluice/order"
)

// param is a path or query parameter that becomes a field of the order:
// a path parameter when the route's path has {name}, else a query
// parameter.
type param struct {
	name  string // in the path or the query
	field string // the order's JSON field it sets
	bool  bool   // a query parameter that is true or false
	doc   string
}

// route is one operation of the API. Most send one order (kind); the
// others (streams, the description, sessions, the page) have serve.
type route struct {
	method, path string
	kind         order.Kind
	tag, summary string
	params       []param
	// body: the order's fields come in a JSON object body (path
	// parameters are added to it, and must agree with it when it has
	// them too).
	body bool
	// pick, for a get of one object, keeps in the list answer the object
	// the path names; false when there is none (404).
	pick func(r *http.Request, c *order.Content) bool
	// serve answers the routes that are not one order.
	serve func(s *Server, w http.ResponseWriter, r *http.Request)
	// produces is the media type of serve's answer ("" for JSON).
	produces string
}

var (
	pAddress     = param{name: "address", field: "address", doc: "the listener's address as written when it was added (percent-encode an IPv6 address's brackets)"}
	pClusterID   = param{name: "cluster_id", field: "cluster_id", doc: "a cluster id"}
	pID          = param{name: "id", field: "id", doc: "the object's id"}
	pWithKeys    = param{name: "with_keys", field: "with_keys", bool: true, doc: "include private keys (needs a write token)"}
	pFingerprint = param{name: "fingerprint", field: "fingerprint", doc: "the certificate's SHA-256 fingerprint (hex, or OpenSSL's AB:CD:… form)"}
)

// apiRoutes lists every operation: the mux serves exactly these, and
// /api/openapi.json describes exactly these (TestOpenAPIMatchesMux).
func apiRoutes() []route {
	return []route{
		// Listeners.
		{method: "GET", path: "/api/listeners", kind: "list_listeners", tag: "listeners", summary: "List the listeners", params: []param{pWithKeys}},
		{method: "POST", path: "/api/listeners", kind: "add_listener", tag: "listeners", summary: "Add a listener", body: true},
		{method: "GET", path: "/api/listeners/{address}", kind: "list_listeners", tag: "listeners", summary: "Get a listener",
			params: []param{{name: "address", doc: pAddress.doc}, pWithKeys}, pick: pickListener},
		{method: "PATCH", path: "/api/listeners/{address}", kind: "update_listener", tag: "listeners", summary: "Change settings of a listener (patch: only the fields given)", params: []param{pAddress}, body: true},
		{method: "DELETE", path: "/api/listeners/{address}", kind: "remove_listener", tag: "listeners", summary: "Remove a listener with its frontends and certificates", params: []param{pAddress}},
		{method: "POST", path: "/api/listeners/{address}/activate", kind: "activate_listener", tag: "listeners", summary: "Start accepting on a listener", params: []param{pAddress}},
		{method: "POST", path: "/api/listeners/{address}/deactivate", kind: "deactivate_listener", tag: "listeners", summary: "Stop accepting on a listener (it stays)", params: []param{pAddress}},

		// Certificates.
		{method: "GET", path: "/api/certificates", kind: "list_certificates", tag: "certificates", summary: "List the certificates of every https listener",
			params: []param{{name: "address", field: "address", doc: "only this listener's"}}},
		{method: "GET", path: "/api/listeners/{address}/certificates", kind: "list_certificates", tag: "certificates", summary: "List a listener's certificates", params: []param{pAddress}},
		{method: "POST", path: "/api/listeners/{address}/certificates", kind: "add_certificate", tag: "certificates", summary: "Add a certificate to a listener", params: []param{pAddress}, body: true},
		{method: "GET", path: "/api/listeners/{address}/certificates/{fingerprint}", kind: "list_certificates", tag: "certificates", summary: "Get a certificate of a listener",
			params: []param{pAddress, {name: "fingerprint", doc: pFingerprint.doc}}, pick: pickCertificate},
		{method: "PUT", path: "/api/listeners/{address}/certificates/{fingerprint}", kind: "replace_certificate", tag: "certificates", summary: "Replace a certificate in one step",
			params: []param{pAddress, {name: "fingerprint", field: "old_fingerprint", doc: pFingerprint.doc}}, body: true},
		{method: "DELETE", path: "/api/listeners/{address}/certificates/{fingerprint}", kind: "remove_certificate", tag: "certificates", summary: "Remove a certificate from a listener",
			params: []param{pAddress, pFingerprint}},

		// Clusters.
		{method: "GET", path: "/api/clusters", kind: "list_clusters", tag: "clusters", summary: "List the clusters"},
		{method: "POST", path: "/api/clusters", kind: "add_cluster", tag: "clusters", summary: "Add a cluster", body: true},
		{method: "GET", path: "/api/clusters/{id}", kind: "list_clusters", tag: "clusters", summary: "Get a cluster", params: []param{{name: "id", doc: "the cluster's id"}}, pick: pickCluster},
		{method: "PATCH", path: "/api/clusters/{id}", kind: "update_cluster", tag: "clusters", summary: "Change settings of a cluster (patch: only the fields given)", params: []param{pID}, body: true},
		{method: "DELETE", path: "/api/clusters/{id}", kind: "remove_cluster", tag: "clusters", summary: "Remove a cluster with its frontends and backends", params: []param{pID}},

		// Backends.
		{method: "GET", path: "/api/backends", kind: "list_backends", tag: "backends", summary: "List the backends with their health",
			params: []param{{name: "cluster_id", field: "cluster_id", doc: "only this cluster's"}}},
		{method: "GET", path: "/api/clusters/{cluster_id}/backends", kind: "list_backends", tag: "backends", summary: "List a cluster's backends with their health", params: []param{pClusterID}},
		{method: "POST", path: "/api/clusters/{cluster_id}/backends", kind: "add_backend", tag: "backends", summary: "Add a backend to a cluster", params: []param{pClusterID}, body: true},
		{method: "GET", path: "/api/clusters/{cluster_id}/backends/{id}", kind: "list_backends", tag: "backends", summary: "Get a backend with its health",
			params: []param{pClusterID, {name: "id", doc: "the backend's id"}}, pick: pickBackend},
		{method: "PATCH", path: "/api/clusters/{cluster_id}/backends/{id}", kind: "update_backend", tag: "backends", summary: "Change a backend's address, weight, backup or sticky id (patch)", params: []param{pClusterID, pID}, body: true},
		{method: "DELETE", path: "/api/clusters/{cluster_id}/backends/{id}", kind: "remove_backend", tag: "backends", summary: "Remove a backend (requests in flight finish)", params: []param{pClusterID, pID}},

		// Frontends: their key is several fields, given in the body.
		{method: "GET", path: "/api/frontends", kind: "list_frontends", tag: "frontends", summary: "List the http, https and tcp frontends"},
		{method: "POST", path: "/api/frontends/http", kind: "add_http_frontend", tag: "frontends", summary: "Add an http frontend", body: true},
		{method: "PATCH", path: "/api/frontends/http", kind: "update_http_frontend", tag: "frontends", summary: "Change the http frontend with the body's key", body: true},
		{method: "DELETE", path: "/api/frontends/http", kind: "remove_http_frontend", tag: "frontends", summary: "Remove the http frontend with the body's key", body: true},
		{method: "POST", path: "/api/frontends/https", kind: "add_https_frontend", tag: "frontends", summary: "Add an https frontend", body: true},
		{method: "PATCH", path: "/api/frontends/https", kind: "update_https_frontend", tag: "frontends", summary: "Change the https frontend with the body's key", body: true},
		{method: "DELETE", path: "/api/frontends/https", kind: "remove_https_frontend", tag: "frontends", summary: "Remove the https frontend with the body's key", body: true},
		{method: "POST", path: "/api/frontends/tcp", kind: "add_tcp_frontend", tag: "frontends", summary: "Add a tcp frontend", body: true},
		{method: "PATCH", path: "/api/frontends/tcp", kind: "update_tcp_frontend", tag: "frontends", summary: "Send a tcp frontend's new connections to another cluster", body: true},
		{method: "DELETE", path: "/api/frontends/tcp", kind: "remove_tcp_frontend", tag: "frontends", summary: "Remove the tcp frontend with the body's key", body: true},

		// The state.
		{method: "GET", path: "/api/state", kind: "dump_state", tag: "state", summary: "Dump the whole configuration", params: []param{pWithKeys}},
		{method: "POST", path: "/api/state/save", kind: "save_state", tag: "state", summary: "Save the configuration to a file on the proxy's host", body: true},
		{method: "POST", path: "/api/state/load", kind: "load_state", tag: "state", summary: "Load a saved configuration from a file on the proxy's host (all or nothing)", body: true},
		{method: "POST", path: "/api/reload", kind: "reload", tag: "state", summary: "Make the configuration equal to a target, as one batch (dry_run: only answer the batch)", body: true},

		// The proxy.
		{method: "GET", path: "/api/status", kind: "status", tag: "proxy", summary: "The proxy's status"},
		{method: "GET", path: "/api/metrics", kind: "metrics", tag: "metrics", summary: "Metrics of every listener, cluster and backend, or of one cluster or backend",
			params: []param{{name: "cluster_id", field: "cluster_id", doc: "only this cluster (and its backends)"},
				{name: "backend_id", field: "backend_id", doc: "only the backends with this id"},
				{name: "buckets", field: "buckets", bool: true, doc: "include the histograms' bucket counts"}}},
		{method: "PUT", path: "/api/logging", kind: "logging", tag: "proxy", summary: "Change the log level", body: true},
		{method: "POST", path: "/api/shutdown", kind: "shutdown", tag: "proxy", summary: "Stop the proxy: soft (requests in flight finish) or hard", body: true},
		{method: "POST", path: "/api/upgrade", kind: "upgrade", tag: "proxy", summary: "Hand the sockets and the state to a new process of the daemon's binary", body: true},
		{method: "POST", path: "/api/orders", tag: "proxy", summary: "Send any order as the command socket takes it: {\"id\",\"kind\",\"order\"}", serve: (*Server).serveOrder},

		// Streams and the rest.
		{method: "GET", path: "/api/events", kind: "subscribe_events", tag: "streams", summary: "The event feed (Server-Sent Events: one JSON event per message)", serve: (*Server).serveEvents, produces: "text/event-stream"},
		{method: "GET", path: "/api/metrics/stream", tag: "streams", summary: "A summary of the metrics every second (Server-Sent Events)", serve: (*Server).serveMetricsStream, produces: "text/event-stream"},
		{method: "GET", path: "/api/metrics/prometheus", tag: "metrics", summary: "The Prometheus text exposition", serve: (*Server).servePrometheus, produces: "text/plain"},
		{method: "GET", path: "/api/openapi.json", tag: "meta", summary: "This description", serve: (*Server).serveOpenAPI},
		{method: "POST", path: "/api/session", tag: "meta", summary: "Trade a token for a session cookie (browsers: EventSource sends no Authorization)", serve: (*Server).openSession},
		{method: "DELETE", path: "/api/session", tag: "meta", summary: "Forget the session cookie", serve: (*Server).closeSession},
		{method: "GET", path: "/", tag: "meta", summary: "The dashboard's page and files", serve: (*Server).serveUI, produces: "text/html"},
	}
}

// routes registers every route on the mux, and a JSON 404 for the other
// paths under /api/.
func (s *Server) routes() {
	for _, rt := range apiRoutes() {
		pattern := rt.method + " " + rt.path
		if rt.path == "/" {
			pattern = "GET /"
		}
		s.patterns = append(s.patterns, pattern)
		if rt.serve != nil {
			s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { rt.serve(s, w, r) })
			continue
		}
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serveRoute(&rt, w, r) })
	}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		s.mux.HandleFunc(m+" /api/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, order.CodeNotFound, "no route for "+r.Method+" "+r.URL.Path+
				" (GET /api/openapi.json lists them)")
		})
	}
}
