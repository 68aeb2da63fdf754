package order

// FleetStatus is how an instance follows etcd (fleet mode, see
// docs/fleet.md); in ProxyStatus.Fleet when [provider.etcd] is set.
type FleetStatus struct {
	// Connected says etcd answered the last probe (every 500 ms, each
	// waiting at most 1 s).
	Connected bool `json:"connected"`
	// Since is when Connected last changed (RFC 3339, UTC).
	Since string `json:"since,omitempty"`
	// Unreachable is why the last probe failed ("etcdserver: authentication
	// failed...", "https://10.0.0.1:2379: TLS: remote error: tls:
	// certificate required"); empty when Connected.
	Unreachable string `json:"unreachable,omitempty"`
	// Revision is the etcd revision whose configuration runs; 0 before
	// the first one applied.
	Revision int64 `json:"revision"`
	// Seen is the last revision read from etcd: Revision, or a later one
	// that was refused.
	Seen int64 `json:"seen"`
	// Error is why revision Seen was refused (its key and the reason);
	// empty when Seen runs.
	Error string `json:"error,omitempty"`
	// Applied and Refused count revisions since the start; Resyncs the
	// full reads of the prefix after the first (a revision compacted
	// while the watch was away); Outages the times etcd stopped answering.
	Applied int64 `json:"applied"`
	Refused int64 `json:"refused"`
	Resyncs int64 `json:"resyncs"`
	Outages int64 `json:"outages"`
}
