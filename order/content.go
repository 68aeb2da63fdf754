package order

// Content is what a query answers with; only the fields of the query's kind
// are set.
type Content struct {
	Listeners      []Listener        `json:"listeners,omitempty"`
	Clusters       []Cluster         `json:"clusters,omitempty"`
	HTTPFrontends  []HTTPFrontend    `json:"http_frontends,omitempty"`
	HTTPSFrontends []HTTPFrontend    `json:"https_frontends,omitempty"`
	TCPFrontends   []TCPFrontend     `json:"tcp_frontends,omitempty"`
	Backends       []BackendStatus   `json:"backends,omitempty"`
	Certificates   []CertificateInfo `json:"certificates,omitempty"`
	Status         *ProxyStatus      `json:"status,omitempty"`
	State          *State            `json:"state,omitempty"`
	Event          *Event            `json:"event,omitempty"`
	Metrics        *MetricsContent   `json:"metrics,omitempty"`
	// Orders is the batch a reload applied (or, dry, would apply).
	Orders []Request `json:"orders,omitempty"`
}

// BackendStatus is a backend as configured plus its live figures.
type BackendStatus struct {
	Backend
	// InFlight is the number of requests being served by it now.
	InFlight int64 `json:"in_flight"`
	// IdleConnections is the number of pooled keep-alive connections.
	IdleConnections int `json:"idle_connections"`
	// H2Connections is the number of HTTP/2 connections that take new
	// streams (backend_protocol h2 or auto), idle or not.
	H2Connections int `json:"h2_connections,omitempty"`
	// Health is "up", "backoff" (recent connects failed; retried soon) or
	// "down".
	Health string `json:"health"`
	// Failures is the number of failed connects in a row.
	Failures int `json:"failures,omitempty"`
	// Check is the last active health check's result: "ok", "failed", or
	// empty when the cluster has no check or none ran yet.
	Check string `json:"check,omitempty"`
	// Resolved, when Address names a host, are the addresses (ip:port)
	// it resolved to last: where new connections go.
	Resolved []string `json:"resolved,omitempty"`
}

// CertificateInfo describes a certificate attached to a listener.
type CertificateInfo struct {
	Address     string   `json:"address"`
	Fingerprint string   `json:"fingerprint"` // SHA-256 of the leaf, hex
	Names       []string `json:"names"`
	NotAfter    string   `json:"not_after"` // RFC 3339
	// Default marks the listener's default certificate.
	Default bool `json:"default,omitempty"`
}

// ProxyStatus is the proxy's running state.
type ProxyStatus struct {
	Version string `json:"version"`
	// PID is the process's id: after an upgrade, the new process's.
	PID               int   `json:"pid"`
	UptimeSeconds     int64 `json:"uptime_seconds"`
	Listeners         int   `json:"listeners"`
	ActiveListeners   int   `json:"active_listeners"`
	Clusters          int   `json:"clusters"`
	Frontends         int   `json:"frontends"`
	Backends          int   `json:"backends"`
	ActiveConnections int64 `json:"active_connections"`
	ActiveTunnels     int64 `json:"active_tunnels"` // upgraded connections (WebSocket) open now
	Requests          int64 `json:"requests"`
	Panics            int64 `json:"panics"`
	// BackendsUp and BackendsDown count backends by health ("backoff"
	// counts as up: it is retried soon).
	BackendsUp   int `json:"backends_up"`
	BackendsDown int `json:"backends_down"`
	// MemoryBytes is the memory the Go runtime holds from the system
	// (runtime/metrics /memory/classes/total:bytes); Goroutines the number
	// of goroutines.
	MemoryBytes uint64 `json:"memory_bytes"`
	Goroutines  int    `json:"goroutines"`
	// IdleWorkers counts the goroutines of active listeners that wait to
	// serve the next connection on a stack already grown (at most 64 per
	// listener, each for at most 10 s); they are part of Goroutines.
	IdleWorkers int `json:"idle_workers"`
	// ReclaimedConnections counts the idle client connections closed to
	// make room for new ones when max_connections was reached;
	// RefusedConnections those refused by max_connections_per_ip. Both
	// since the start.
	ReclaimedConnections int64 `json:"reclaimed_connections"`
	RefusedConnections   int64 `json:"refused_connections"`
	// SavedStateErrors counts the writes of the saved state that failed
	// (see proxy.Config.SavedState) since the start.
	SavedStateErrors int64 `json:"saved_state_errors,omitempty"`
	// Fleet is how the instance follows etcd; nil without [provider.etcd].
	Fleet *FleetStatus `json:"fleet,omitempty"`
}

// OmittedKey stands for a private key in query answers that were not
// asked for keys (ListListeners and DumpState without WithKeys). It is not
// a PEM key, so an order carrying it is refused.
const OmittedKey = "(private key omitted: ask with with_keys, the CLI's --with-keys)"

// OmitKeys replaces every private key in c by OmittedKey, and marks a
// state dump KeysOmitted. It does not modify what c shares with the
// proxy's state: a certificate is copied before its key is replaced.
func (c *Content) OmitKeys() {
	for i := range c.Listeners {
		omitListenerKey(&c.Listeners[i])
	}
	for i := range c.Clusters {
		c.Clusters[i].TLS = c.Clusters[i].TLS.omitKey()
	}
	if c.State != nil {
		c.State.OmitKeys()
	}
}

// OmitKeys replaces every private key in s by OmittedKey and marks it
// KeysOmitted. Its lists must be its own (as Dump returns them); the
// certificates they point to are copied, not modified.
func (s *State) OmitKeys() {
	for i := range s.Listeners {
		omitListenerKey(&s.Listeners[i])
	}
	for i := range s.Certificates {
		s.Certificates[i].Certificate.Key = OmittedKey
	}
	for i := range s.Clusters {
		s.Clusters[i].TLS = s.Clusters[i].TLS.omitKey()
	}
	s.KeysOmitted = true
}

func omitListenerKey(l *Listener) {
	if l.Certificate != nil {
		ck := *l.Certificate
		ck.Key = OmittedKey
		l.Certificate = &ck
	}
}

// StateVersion is the version of the State format this package writes.
// Version 1 kept a listener's default certificate in the listener
// (Listener.Certificate); version 2 lists it among Certificates, marked
// Default. Both load: a listener's certificate is still its default
// certificate when added.
const StateVersion = 2

// MinStateVersion is the oldest State format this package reads.
const MinStateVersion = 1

// State is the proxy's whole configuration, as dumped, saved and loaded. Its
// lists are sorted by key, so equal configurations give equal dumps.
type State struct {
	Version        int              `json:"version"`
	Listeners      []Listener       `json:"listeners"`
	Clusters       []Cluster        `json:"clusters"`
	HTTPFrontends  []HTTPFrontend   `json:"http_frontends"`
	HTTPSFrontends []HTTPFrontend   `json:"https_frontends"`
	TCPFrontends   []TCPFrontend    `json:"tcp_frontends"`
	Backends       []Backend        `json:"backends"`
	Certificates   []AddCertificate `json:"certificates"`
	// KeysOmitted marks a dump whose private keys were left out (a
	// DumpState without WithKeys): it cannot be loaded, since its
	// certificates would have no keys.
	KeysOmitted bool `json:"keys_omitted,omitempty"`
}

// Orders returns the orders that rebuild s in an empty proxy, in an order
// that satisfies every reference: listeners (inactive), certificates,
// clusters, frontends, backends, then activation of the active listeners.
func (s *State) Orders() []Order {
	var out []Order
	for _, l := range s.Listeners {
		l.Active = false
		out = append(out, AddListener{l})
	}
	for _, c := range s.Certificates {
		out = append(out, c)
	}
	for _, c := range s.Clusters {
		out = append(out, AddCluster{c})
	}
	for _, f := range s.HTTPFrontends {
		out = append(out, AddHTTPFrontend{f})
	}
	for _, f := range s.HTTPSFrontends {
		out = append(out, AddHTTPSFrontend{f})
	}
	for _, f := range s.TCPFrontends {
		out = append(out, AddTCPFrontend{f})
	}
	for _, b := range s.Backends {
		out = append(out, AddBackend{b})
	}
	for _, l := range s.Listeners {
		if l.Active {
			out = append(out, ActivateListener{Address: l.Address})
		}
	}
	return out
}
