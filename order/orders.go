package order

// Order is one change or query. The concrete types are the structs of this
// file; Kind names each on the wire.
type Order interface {
	// Kind is the order's wire name, e.g. "add_cluster".
	Kind() Kind
	// Validate checks the order's own fields and returns a *FieldError
	// naming the first bad field, or nil.
	Validate() error
}

// Kind is an order's wire name.
type Kind string

// AddListener adds a listener. Adding an identical listener again is ok; a
// different one on the same address is an error.
type AddListener struct{ Listener }

// RemoveListener closes a listener: it stops accepting at once, exchanges in
// flight finish. Its frontends are removed with it.
type RemoveListener struct {
	Address string `json:"address"`
}

// ActivateListener makes a listener accept connections (binds its socket).
type ActivateListener struct {
	Address string `json:"address"`
}

// DeactivateListener stops a listener accepting (closes its socket) and lets
// exchanges in flight finish; the listener and its frontends stay.
type DeactivateListener struct {
	Address string `json:"address"`
}

// AddCluster adds a cluster or updates the settings of an existing one.
type AddCluster struct{ Cluster }

// RemoveCluster removes a cluster with its frontends and backends. Requests
// in flight to its backends finish; new requests to its former frontends get
// 404.
type RemoveCluster struct {
	ID string `json:"id"`
}

// AddHTTPFrontend adds a frontend on an http listener.
type AddHTTPFrontend struct{ HTTPFrontend }

// RemoveHTTPFrontend removes the http frontend with the same key (ClusterID
// and Deny are ignored).
type RemoveHTTPFrontend struct{ HTTPFrontend }

// AddHTTPSFrontend adds a frontend on an https listener.
type AddHTTPSFrontend struct{ HTTPFrontend }

// RemoveHTTPSFrontend removes the https frontend with the same key.
type RemoveHTTPSFrontend struct{ HTTPFrontend }

// AddTCPFrontend adds the frontend of a tcp listener.
type AddTCPFrontend struct{ TCPFrontend }

// RemoveTCPFrontend removes the frontend of a tcp listener.
type RemoveTCPFrontend struct{ TCPFrontend }

// AddBackend adds a backend to a cluster. Re-adding an identical backend is
// ok; the same id with other fields is an error (remove it first).
type AddBackend struct{ Backend }

// RemoveBackend removes a backend: it gets no new requests, requests in
// flight finish, its idle pooled connections close.
type RemoveBackend struct {
	ClusterID string `json:"cluster_id"`
	ID        string `json:"id"`
}

// AddCertificate attaches a certificate to an https listener. Adding a
// certificate the listener has (same fingerprint) again changes nothing.
type AddCertificate struct {
	Address     string            `json:"address"`
	Certificate CertificateAndKey `json:"certificate"`
	// Default makes it the listener's default certificate: served, besides
	// for its names, when the client sends no SNI or a name no
	// certificate covers. A listener has at most one; replace it with
	// ReplaceCertificate.
	Default bool `json:"default,omitempty"`
}

// ReplaceCertificate swaps one certificate for another on an https
// listener in one step; the new one is the default when the old one was.
type ReplaceCertificate struct {
	Address        string            `json:"address"`
	OldFingerprint string            `json:"old_fingerprint"`
	Certificate    CertificateAndKey `json:"certificate"`
}

// RemoveCertificate detaches a certificate from an https listener, the
// default one included.
type RemoveCertificate struct {
	Address     string `json:"address"`
	Fingerprint string `json:"fingerprint"`
}

// ListListeners answers with Content.Listeners. The private key of a
// listener's default certificate is replaced by OmittedKey unless WithKeys
// is set.
type ListListeners struct {
	WithKeys bool `json:"with_keys,omitempty"`
}

// ListClusters answers with Content.Clusters. The key of a cluster's TLS
// client certificate is replaced by OmittedKey (dump_state with_keys
// gives it).
type ListClusters struct{}

// ListFrontends answers with Content.HTTPFrontends, HTTPSFrontends and
// TCPFrontends.
type ListFrontends struct{}

// ListBackends answers with Content.Backends, all or those of one cluster.
type ListBackends struct {
	ClusterID string `json:"cluster_id,omitempty"`
}

// ListCertificates answers with Content.Certificates, all or those of one
// listener.
type ListCertificates struct {
	Address string `json:"address,omitempty"`
}

// Status answers with Content.Status.
type Status struct{}

// DumpState answers with Content.State, the whole configuration. Its
// private keys are replaced by OmittedKey, and the state is marked
// KeysOmitted, unless WithKeys is set (SaveState always writes them).
type DumpState struct {
	WithKeys bool `json:"with_keys,omitempty"`
}

// Kind implementations: the wire names.

func (AddListener) Kind() Kind         { return "add_listener" }
func (RemoveListener) Kind() Kind      { return "remove_listener" }
func (ActivateListener) Kind() Kind    { return "activate_listener" }
func (DeactivateListener) Kind() Kind  { return "deactivate_listener" }
func (AddCluster) Kind() Kind          { return "add_cluster" }
func (RemoveCluster) Kind() Kind       { return "remove_cluster" }
func (AddHTTPFrontend) Kind() Kind     { return "add_http_frontend" }
func (RemoveHTTPFrontend) Kind() Kind  { return "remove_http_frontend" }
func (AddHTTPSFrontend) Kind() Kind    { return "add_https_frontend" }
func (RemoveHTTPSFrontend) Kind() Kind { return "remove_https_frontend" }
func (AddTCPFrontend) Kind() Kind      { return "add_tcp_frontend" }
func (RemoveTCPFrontend) Kind() Kind   { return "remove_tcp_frontend" }
func (AddBackend) Kind() Kind          { return "add_backend" }
func (RemoveBackend) Kind() Kind       { return "remove_backend" }
func (AddCertificate) Kind() Kind      { return "add_certificate" }
func (ReplaceCertificate) Kind() Kind  { return "replace_certificate" }
func (RemoveCertificate) Kind() Kind   { return "remove_certificate" }
func (ListListeners) Kind() Kind       { return "list_listeners" }
func (ListClusters) Kind() Kind        { return "list_clusters" }
func (ListFrontends) Kind() Kind       { return "list_frontends" }
func (ListBackends) Kind() Kind        { return "list_backends" }
func (ListCertificates) Kind() Kind    { return "list_certificates" }
func (Status) Kind() Kind              { return "status" }
func (DumpState) Kind() Kind           { return "dump_state" }

// kinds maps wire names to a constructor of an empty order, for decoding.
var kinds = map[Kind]func() Order{}

func init() {
	for _, o := range []Order{
		&AddListener{}, &RemoveListener{}, &ActivateListener{}, &DeactivateListener{},
		&AddCluster{}, &RemoveCluster{},
		&AddHTTPFrontend{}, &RemoveHTTPFrontend{}, &AddHTTPSFrontend{}, &RemoveHTTPSFrontend{},
		&AddTCPFrontend{}, &RemoveTCPFrontend{},
		&AddBackend{}, &RemoveBackend{},
		&AddCertificate{}, &ReplaceCertificate{}, &RemoveCertificate{},
		&ListListeners{}, &ListClusters{}, &ListFrontends{}, &ListBackends{}, &ListCertificates{},
		&Status{}, &DumpState{}, &SubscribeEvents{}, &Metrics{},
	} {
		register(o)
	}
}
