package order

// EventKind names what happened.
type EventKind string

// The event kinds.
const (
	// BackendUp: a backend that was down takes traffic again.
	BackendUp EventKind = "backend_up"
	// BackendDown: a backend is out of rotation (failed connects, or its
	// health check).
	BackendDown EventKind = "backend_down"
	// BackendDrained: a removed backend's last request has ended; the
	// server behind it can be stopped safely.
	BackendDrained EventKind = "backend_drained"
	// ClusterDown: no backend of the cluster is usable; its requests get
	// 503 at once.
	ClusterDown EventKind = "cluster_down"
	// ClusterRecovered: a cluster that had no usable backend has one again.
	ClusterRecovered EventKind = "cluster_recovered"
	// ConfigChanged: an order changed the configuration: Order is its
	// kind, Object what it added, updated or removed, RequestID the id
	// the client gave (a batch's orders carry the batch's).
	ConfigChanged EventKind = "config_changed"
	// StateLoaded: a load_state applied a saved state (Count orders).
	StateLoaded EventKind = "state_loaded"
	// ConfigReloaded: a reload made the configuration equal to its target
	// (Count orders; none when it was already).
	ConfigReloaded EventKind = "config_reloaded"
	// OCSPStapled: an OCSP response was fetched for a certificate
	// (Fingerprint) of the listener at Address and is stapled until
	// Reason's nextUpdate.
	OCSPStapled EventKind = "ocsp_stapled"
	// OCSPFailed: an OCSP fetch gave nothing to staple; Reason says why
	// (and whether the last good response is still stapled).
	OCSPFailed EventKind = "ocsp_failed"
	// ACMEObtained: a certificate for Hostname was obtained from the ACME
	// CA (or loaded from its storage at start) and published on the
	// listener at Address (Fingerprint); Reason gives its expiry and the
	// time of its renewal.
	ACMEObtained EventKind = "acme_obtained"
	// ACMEFailed: an attempt to obtain or renew the certificate of
	// Hostname failed; Reason says why and when the next attempt is. The
	// certificate served before, if any, stays.
	ACMEFailed EventKind = "acme_failed"
	// FleetRefused: the configuration etcd holds at Revision was refused
	// (Reason names the key and why); the last good one keeps serving.
	FleetRefused EventKind = "fleet_refused"
	// FleetUnreachable: etcd stopped answering; the instance keeps
	// serving the configuration of Revision.
	FleetUnreachable EventKind = "fleet_unreachable"
	// FleetReconnected: etcd answers again; the watch catches up from
	// Revision.
	FleetReconnected EventKind = "fleet_reconnected"
	// FleetResynced: the revisions the watch had missed were compacted,
	// so the whole prefix was read again, at Revision.
	FleetResynced EventKind = "fleet_resynced"
)

// Event is something the proxy reports as it happens, to subscribers (see
// SubscribeEvents).
type Event struct {
	Kind      EventKind `json:"kind"`
	Time      string    `json:"time"` // RFC 3339 with milliseconds, UTC
	ClusterID string    `json:"cluster_id,omitempty"`
	BackendID string    `json:"backend_id,omitempty"`
	Address   string    `json:"address,omitempty"` // the backend's; the listener's for ocsp_* and acme_*
	// Fingerprint is the certificate's, for ocsp_* and acme_obtained
	// (SHA-256, hex).
	Fingerprint string `json:"fingerprint,omitempty"`
	// Hostname is the host name of acme_* events.
	Hostname string `json:"hostname,omitempty"`
	// Reason says why, for up and down: "connect failures",
	// "health check", "connect succeeded".
	Reason string `json:"reason,omitempty"`
	// The order, its object and its client's id, for config_changed;
	// the orders of a batch, for state_loaded and config_reloaded.
	Order     Kind   `json:"order,omitempty"`
	Object    string `json:"object,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Count     int    `json:"count,omitempty"`
	// Revision is the etcd revision of fleet_* events.
	Revision int64 `json:"revision,omitempty"`
}

// SubscribeEvents streams events: on the command socket the answer is a
// "processing" response carrying each event in Content.Event, until the
// client goes away; in the library, use proxy.Client.Subscribe.
type SubscribeEvents struct{}

// Kind implements Order.
func (SubscribeEvents) Kind() Kind { return "subscribe_events" }

// Validate implements Order.
func (SubscribeEvents) Validate() error { return nil }
