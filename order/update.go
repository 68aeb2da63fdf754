package order

// The update orders change the settings of an object that exists, at once
// and in place, leaving every setting they do not give as it is (patch
// semantics, see Opt). The object keeps its identity: a backend whose
// weight changes is never taken out of its cluster, a frontend that gets
// another cluster never stops routing. An update that gives a setting its
// current value changes nothing and succeeds; one that gives no setting
// at all is refused.
//
// An add order for a key that exists with other settings is refused with a
// message naming the update order to use.

// UpdateListener changes settings of the listener on Address. New
// connections and new requests use them at once; exchanges in flight
// finish with the settings they started with.
//
// The protocol is not a setting (remove the listener and add it again),
// activation has its own orders (activate_listener, deactivate_listener),
// and the default certificate is a certificate (add_certificate with
// default, replace_certificate). MaxConnectionsPerIP, and on https
// listeners MaxHeadBytes and MaxHeaderFields (which bound its HTTP/2
// connections too), are fixed when the listener is added: an update that
// changes them is refused.
type UpdateListener struct {
	Address             string                 `json:"address"`
	ExpectProxy         Opt[bool]              `json:"expect_proxy,omitzero"`
	StickyName          Opt[string]            `json:"sticky_name,omitzero"`
	FrontTimeout        Opt[Duration]          `json:"front_timeout,omitzero"`
	BackTimeout         Opt[Duration]          `json:"back_timeout,omitzero"`
	ConnectTimeout      Opt[Duration]          `json:"connect_timeout,omitzero"`
	RequestTimeout      Opt[Duration]          `json:"request_timeout,omitzero"`
	TunnelTimeout       Opt[Duration]          `json:"tunnel_timeout,omitzero"`
	KeepAliveTimeout    Opt[Duration]          `json:"keepalive_timeout,omitzero"`
	MaxConnectionsPerIP Opt[int]               `json:"max_connections_per_ip,omitzero"`
	MaxHeadBytes        Opt[int]               `json:"max_head_bytes,omitzero"`
	MaxHeaderFields     Opt[int]               `json:"max_header_fields,omitzero"`
	MaxBodyBytes        Opt[int64]             `json:"max_body_bytes,omitzero"`
	Answers             Opt[map[string]string] `json:"answers,omitzero"`
	TLSVersions         Opt[[]string]          `json:"tls_versions,omitzero"`
	HSTS                Opt[*HSTS]             `json:"hsts,omitzero"`

	// Routing and rewrites (issue 16, policy-route).

	XRealIP         Opt[bool]   `json:"x_real_ip,omitzero"`
	RequestIDHeader Opt[string] `json:"request_id_header,omitzero"`

	UpdateListenerTLS
}

// Patch returns l with the settings o gives.
func (o UpdateListener) Patch(l Listener) Listener {
	l.ExpectProxy = o.ExpectProxy.Or(l.ExpectProxy)
	l.StickyName = o.StickyName.Or(l.StickyName)
	l.FrontTimeout = o.FrontTimeout.Or(l.FrontTimeout)
	l.BackTimeout = o.BackTimeout.Or(l.BackTimeout)
	l.ConnectTimeout = o.ConnectTimeout.Or(l.ConnectTimeout)
	l.RequestTimeout = o.RequestTimeout.Or(l.RequestTimeout)
	l.TunnelTimeout = o.TunnelTimeout.Or(l.TunnelTimeout)
	l.KeepAliveTimeout = o.KeepAliveTimeout.Or(l.KeepAliveTimeout)
	l.MaxConnectionsPerIP = o.MaxConnectionsPerIP.Or(l.MaxConnectionsPerIP)
	l.MaxHeadBytes = o.MaxHeadBytes.Or(l.MaxHeadBytes)
	l.MaxHeaderFields = o.MaxHeaderFields.Or(l.MaxHeaderFields)
	l.MaxBodyBytes = o.MaxBodyBytes.Or(l.MaxBodyBytes)
	l.Answers = o.Answers.Or(l.Answers)
	l.TLSVersions = o.TLSVersions.Or(l.TLSVersions)
	l.HSTS = o.HSTS.Or(l.HSTS)
	l.XRealIP = o.XRealIP.Or(l.XRealIP)
	l.RequestIDHeader = o.RequestIDHeader.Or(l.RequestIDHeader)
	l.ListenerTLS = o.UpdateListenerTLS.patch(l.ListenerTLS)
	return l
}

// UpdateCluster changes settings of the cluster ID. New requests use them
// at once; a changed health check restarts. The protocol is not a
// setting: remove the cluster and add it again.
type UpdateCluster struct {
	ID            string             `json:"id"`
	LoadBalancing Opt[LoadBalancing] `json:"load_balancing,omitzero"`
	StickySession Opt[bool]          `json:"sticky_session,omitzero"`
	HTTPSRedirect Opt[bool]          `json:"https_redirect,omitzero"`
	SendProxy     Opt[bool]          `json:"send_proxy,omitzero"`
	HTTP2         Opt[bool]          `json:"http2,omitzero"`
	// BackendProtocol wins over HTTP2 when both are given.
	BackendProtocol Opt[BackendProtocol]   `json:"backend_protocol,omitzero"`
	HealthCheck     Opt[*HealthCheck]      `json:"health_check,omitzero"`
	PassiveHealth   Opt[*PassiveHealth]    `json:"passive_health,omitzero"`
	HSTS            Opt[*HSTS]             `json:"hsts,omitzero"`
	Answers         Opt[map[string]string] `json:"answers,omitzero"`

	// Traffic policy (policy-guard).
	HashKey     Opt[*HashKey]     `json:"hash_key,omitzero"`
	RateLimit   Opt[*RateLimit]   `json:"rate_limit,omitzero"`
	Retry       Opt[*Retry]       `json:"retry,omitzero"`
	Compression Opt[*Compression] `json:"compression,omitzero"`

	// Routing and rewrites (issue 16, policy-route).

	HTTPSRedirectPort Opt[int]          `json:"https_redirect_port,omitzero"`
	Headers           Opt[[]HeaderEdit] `json:"headers,omitzero"`

	// TLS replaces the cluster's TLS settings whole; null turns TLS off.
	TLS Opt[*BackendTLS] `json:"tls,omitzero"`
}

// Patch returns c with the settings o gives.
func (o UpdateCluster) Patch(c Cluster) Cluster {
	c.LoadBalancing = o.LoadBalancing.Or(c.LoadBalancing)
	c.StickySession = o.StickySession.Or(c.StickySession)
	c.HTTPSRedirect = o.HTTPSRedirect.Or(c.HTTPSRedirect)
	c.SendProxy = o.SendProxy.Or(c.SendProxy)
	if o.HTTP2.Set { // the earlier spelling of backend_protocol h2
		switch {
		case o.HTTP2.V:
			c.BackendProtocol = H2
		case c.Speaks() == H2:
			c.BackendProtocol = ""
		}
		c.HTTP2 = false
	}
	c.BackendProtocol = o.BackendProtocol.Or(c.BackendProtocol)
	c.HealthCheck = o.HealthCheck.Or(c.HealthCheck)
	c.PassiveHealth = o.PassiveHealth.Or(c.PassiveHealth)
	c.HSTS = o.HSTS.Or(c.HSTS)
	c.Answers = o.Answers.Or(c.Answers)
	c.HashKey = o.HashKey.Or(c.HashKey)
	c.RateLimit = o.RateLimit.Or(c.RateLimit)
	c.Retry = o.Retry.Or(c.Retry)
	c.Compression = o.Compression.Or(c.Compression)
	c.HTTPSRedirectPort = o.HTTPSRedirectPort.Or(c.HTTPSRedirectPort)
	c.Headers = o.Headers.Or(c.Headers)
	c.TLS = o.TLS.Or(c.TLS)
	return c
}

// UpdateBackend changes settings of backend ID of cluster ClusterID
// without taking it out of the cluster: no request finds the cluster
// without it. With the same address the backend keeps its health and its
// idle connections; a new address is a new server: it starts up with no
// connection, and the old address drains like a removed backend (requests
// in flight finish; a backend_drained event names it).
type UpdateBackend struct {
	ClusterID string      `json:"cluster_id"`
	ID        string      `json:"id"`
	Address   Opt[string] `json:"address,omitzero"`
	Weight    Opt[int]    `json:"weight,omitzero"`
	Backup    Opt[bool]   `json:"backup,omitzero"`
	StickyID  Opt[string] `json:"sticky_id,omitzero"`
}

// Patch returns b with the settings o gives.
func (o UpdateBackend) Patch(b Backend) Backend {
	b.Address = o.Address.Or(b.Address)
	b.Weight = o.Weight.Or(b.Weight)
	b.Backup = o.Backup.Or(b.Backup)
	b.StickyID = o.StickyID.Or(b.StickyID)
	return b
}

// UpdateHTTPFrontend changes the http frontend with the same key (address,
// hostname, path type, path, method, position, conditions): where it sends
// its requests, to ClusterID or a 403 when Deny is set (neither: the
// target stays), and the settings it gives (Opt fields, which stand for
// the embedded frontend's fields of the same name). The route is swapped
// in one step.
type UpdateHTTPFrontend struct {
	HTTPFrontend

	// Routing and rewrites (issue 16, policy-route).

	Redirect    Opt[*Redirect]    `json:"redirect,omitzero"`
	RewriteHost Opt[string]       `json:"rewrite_host,omitzero"`
	RewritePath Opt[string]       `json:"rewrite_path,omitzero"`
	Headers     Opt[[]HeaderEdit] `json:"headers,omitzero"`

	// Traffic policy (policy-guard).

	BasicAuth Opt[*BasicAuth] `json:"basic_auth,omitzero"`
	RateLimit Opt[*RateLimit] `json:"rate_limit,omitzero"`

	// ACME certificates (https frontends).
	ACME Opt[bool] `json:"acme,omitzero"`
}

// UpdateHTTPSFrontend is UpdateHTTPFrontend for https listeners.
type UpdateHTTPSFrontend UpdateHTTPFrontend

// Patch returns f, a stored frontend with the update's key, with the
// target and the settings the update gives.
func (o UpdateHTTPFrontend) Patch(f HTTPFrontend) HTTPFrontend {
	switch {
	case o.Deny:
		f.ClusterID, f.Deny = "", true
	case o.ClusterID != "":
		f.ClusterID, f.Deny = o.ClusterID, false
	}
	f.Redirect = o.Redirect.Or(f.Redirect)
	f.RewriteHost = o.RewriteHost.Or(f.RewriteHost)
	f.RewritePath = o.RewritePath.Or(f.RewritePath)
	f.Headers = o.Headers.Or(f.Headers)
	f.BasicAuth = o.BasicAuth.Or(f.BasicAuth)
	f.RateLimit = o.RateLimit.Or(f.RateLimit)
	f.ACME = o.ACME.Or(f.ACME)
	return f
}

// settings reports whether a setting is given.
func (o UpdateHTTPFrontend) settings() bool {
	return anySet(o.Redirect.Set, o.RewriteHost.Set, o.RewritePath.Set, o.Headers.Set,
		o.BasicAuth.Set, o.RateLimit.Set, o.ACME.Set)
}

// FrontendUpdate returns the update that makes a stored frontend with f's
// key into f: its target and every setting.
func FrontendUpdate(f HTTPFrontend) UpdateHTTPFrontend {
	return UpdateHTTPFrontend{HTTPFrontend: f, Redirect: Some(f.Redirect), RewriteHost: Some(f.RewriteHost),
		RewritePath: Some(f.RewritePath), Headers: Some(f.Headers),
		BasicAuth: Some(f.BasicAuth), RateLimit: Some(f.RateLimit), ACME: Some(f.ACME)}
}

// UpdateTCPFrontend sends the new connections of the tcp listener on
// Address (with the server name Hostname, or its default route when
// Hostname is empty) to ClusterID; open relays go on with their backend.
type UpdateTCPFrontend struct{ TCPFrontend }

func (UpdateListener) Kind() Kind      { return "update_listener" }
func (UpdateCluster) Kind() Kind       { return "update_cluster" }
func (UpdateBackend) Kind() Kind       { return "update_backend" }
func (UpdateHTTPFrontend) Kind() Kind  { return "update_http_frontend" }
func (UpdateHTTPSFrontend) Kind() Kind { return "update_https_frontend" }
func (UpdateTCPFrontend) Kind() Kind   { return "update_tcp_frontend" }

// Validate checks the address and the syntax of the settings given; what
// depends on the listener (its protocol) is checked when it is applied.
func (o UpdateListener) Validate() error {
	if err := ValidateAddress("listener.address", o.Address); err != nil {
		return err
	}
	if !anySet(o.ExpectProxy.Set, o.StickyName.Set, o.FrontTimeout.Set, o.BackTimeout.Set,
		o.ConnectTimeout.Set, o.RequestTimeout.Set, o.TunnelTimeout.Set, o.KeepAliveTimeout.Set,
		o.MaxConnectionsPerIP.Set, o.MaxHeadBytes.Set, o.MaxHeaderFields.Set, o.MaxBodyBytes.Set,
		o.Answers.Set, o.TLSVersions.Set, o.HSTS.Set, o.XRealIP.Set, o.RequestIDHeader.Set, o.UpdateListenerTLS.anySet()) {
		return fieldErr("listener", "no setting given")
	}
	l := o.Patch(Listener{Protocol: HTTPS, Address: o.Address})
	return l.validate(true)
}

// anySet reports whether one of the fields is given.
func anySet(set ...bool) bool {
	for _, s := range set {
		if s {
			return true
		}
	}
	return false
}

// Validate checks the id and the syntax of the settings given.
func (o UpdateCluster) Validate() error {
	if err := ValidateID("cluster.id", o.ID); err != nil {
		return err
	}
	if !anySet(o.LoadBalancing.Set, o.StickySession.Set, o.HTTPSRedirect.Set, o.SendProxy.Set,
		o.HTTP2.Set, o.BackendProtocol.Set, o.HealthCheck.Set, o.PassiveHealth.Set, o.HSTS.Set, o.Answers.Set, o.TLS.Set,
		o.HashKey.Set, o.RateLimit.Set, o.Retry.Set, o.Compression.Set,
		o.HTTPSRedirectPort.Set, o.Headers.Set) {
		return fieldErr("cluster", "no setting given")
	}
	c := o.Patch(Cluster{ID: o.ID})
	if c.HashKey != nil { // checked against the cluster's algorithm when applied
		c.LoadBalancing = Maglev
	}
	if c.BackendProtocol == Auto && !o.TLS.Set { // checked against the cluster's tls when applied
		c.TLS = &BackendTLS{}
	}
	return c.Validate()
}

// Validate checks the ids and the syntax of the settings given; a weight
// given must be within MinWeight..MaxWeight (0 is not "the default" here).
func (o UpdateBackend) Validate() error {
	if err := ValidateID("backend.cluster_id", o.ClusterID); err != nil {
		return err
	}
	if err := ValidateID("backend.id", o.ID); err != nil {
		return err
	}
	if !anySet(o.Address.Set, o.Weight.Set, o.Backup.Set, o.StickyID.Set) {
		return fieldErr("backend", "no setting given")
	}
	if o.Address.Set {
		if err := ValidateAddress("backend.address", o.Address.V); err != nil {
			return err
		}
	}
	if o.Weight.Set {
		if err := ValidateWeight("backend.weight", o.Weight.V); err != nil {
			return err
		}
	}
	if o.StickyID.V != "" && !isToken(o.StickyID.V) {
		return fieldErr("backend.sticky_id", "%q is not a cookie value token", o.StickyID.V)
	}
	return nil
}

func (o UpdateHTTPFrontend) Validate() error  { return o.validate() }
func (o UpdateHTTPSFrontend) Validate() error { return UpdateHTTPFrontend(o).validate() }

// validate checks the key, the target (one of cluster_id and deny, or
// neither) and the syntax of the settings given; the frontend they make is
// checked when the update is applied.
func (o UpdateHTTPFrontend) validate() error {
	f := o.HTTPFrontend
	if err := f.validateKey(); err != nil {
		return err
	}
	if f.Deny && f.ClusterID != "" {
		return fieldErr("frontend.cluster_id", "a deny frontend has no cluster")
	}
	if f.ClusterID != "" {
		if err := ValidateID("frontend.cluster_id", f.ClusterID); err != nil {
			return err
		}
	}
	if f.ClusterID == "" && !f.Deny && !o.settings() {
		return fieldErr("frontend.cluster_id", "missing: an update gives a cluster_id, deny or a setting")
	}
	g := o.Patch(f.Key())
	if g.Redirect != nil {
		if err := g.Redirect.validate("frontend.redirect"); err != nil {
			return err
		}
	}
	if err := validateEdits("frontend.headers", g.Headers); err != nil {
		return err
	}
	if err := g.BasicAuth.validate("frontend.basic_auth"); err != nil {
		return err
	}
	return g.RateLimit.validate("frontend.rate_limit")
}

func (o UpdateTCPFrontend) Validate() error { return o.TCPFrontend.Validate() }

func init() {
	for _, o := range []Order{&UpdateListener{}, &UpdateCluster{}, &UpdateBackend{},
		&UpdateHTTPFrontend{}, &UpdateHTTPSFrontend{}, &UpdateTCPFrontend{}} {
		register(o)
	}
}
