package config

import (
	"errors"

	"github.com/sluiceproxy/sluice/order"
)

// cluster reads one [clusters.ID] table with its frontends and backends.
func (b *plan) cluster(id string, t *table) {
	c := order.Cluster{
		ID:              id,
		Protocol:        order.Protocol(t.str("protocol")),
		LoadBalancing:   order.LoadBalancing(t.str("load_balancing")),
		StickySession:   t.boolean("sticky_session"),
		HTTPSRedirect:   t.boolean("https_redirect"),
		SendProxy:       t.boolean("send_proxy"),
		HTTP2:           t.boolean("http2"),
		BackendProtocol: order.BackendProtocol(t.str("backend_protocol")),
		HSTS:            hsts(t),
		Answers:         b.l.answers(t),
		HealthCheck:     healthCheck(t.sub("health_check")),
		PassiveHealth:   passiveHealth(t.sub("passive_health")),
		HashKey:         hashKey(t),
		RateLimit:       rateLimit(t),
		Retry:           retry(t),
		Compression:     compression(t),
		TLS:             b.l.backendTLS(t),
	}
	clusterRoute(t, &c)
	b.clusters = append(b.clusters, step{o: order.AddCluster{Cluster: c}, src: t})
	frontends, paths := t.tables("frontends")
	for i, v := range frontends {
		b.frontend(c, newTableReader(b.l.ps, v, paths[i]))
	}
	backends, paths := t.tables("backends")
	for i, v := range backends {
		b.backend(c, newTableReader(b.l.ps, v, paths[i]))
	}
	t.done()
}

// healthCheck reads a [clusters.ID.health_check] table, or returns nil
// when there is none.
func healthCheck(t *table) *order.HealthCheck {
	if t == nil {
		return nil
	}
	defer t.done()
	return &order.HealthCheck{
		Type:           t.str("type"),
		Path:           t.str("path"),
		Host:           t.str("host"),
		ExpectedStatus: t.integer("expected_status", 100, 599),
		Interval:       order.Duration(t.duration("interval")),
		Timeout:        order.Duration(t.duration("timeout")),
		Rise:           t.integer("rise", 1, 100),
		Fall:           t.integer("fall", 1, 100),
		FailOpen:       t.boolean("fail_open"),
	}
}

// passiveHealth reads a passive_health table, or returns nil when there is
// none.
func passiveHealth(t *table) *order.PassiveHealth {
	if t == nil {
		return nil
	}
	defer t.done()
	return &order.PassiveHealth{
		MaxFailures: t.integer("max_failures", 1, 100),
		Backoff:     order.Duration(t.duration("backoff")),
		BackoffMax:  order.Duration(t.duration("backoff_max")),
	}
}

// httpOnlyKeys are the frontend keys that have no meaning on a tcp
// listener.
var httpOnlyKeys = append([]string{"hostname", "path", "path_type", "method", "deny",
	"certificate", "key", "certificate_chain", "names", "basic_auth", "rate_limit", "acme"}, routeFrontendKeys...)

// frontend reads one frontend of cluster c. Its listener, found by address,
// decides its kind: tcp, http or https. "deny = true" makes a deny frontend:
// it answers 403 and routes to no cluster, whichever cluster lists it.
func (b *plan) frontend(c order.Cluster, t *table) {
	f := order.HTTPFrontend{
		Address:  t.str("address"),
		Hostname: t.str("hostname"),
		Path:     t.str("path"),
		PathType: order.PathType(t.str("path_type")),
		Method:   t.str("method"),
		Deny:     t.boolean("deny"),
	}
	if li := b.listeners[canonical(f.Address)]; li != nil && li.protocol != order.TCP {
		f.BasicAuth, f.RateLimit = basicAuth(t), rateLimit(t)
		f.ACME = t.boolean("acme")
		if f.ACME && !b.l.acme {
			t.errKey("acme", "needs an [acme] section (at least agree_terms = true; see docs/tls.md)")
		}
	}
	if !f.Deny {
		f.ClusterID = c.ID
	}
	if li := b.listeners[canonical(f.Address)]; li == nil || li.protocol != order.TCP {
		frontendRoute(t, &f)
	}
	defer t.done()
	li := b.listeners[canonical(f.Address)]
	if li == nil {
		markRead(t, certKeys)
		var fe *order.FieldError
		switch err := order.ValidateAddress("address", f.Address); {
		case !t.has("address"):
			t.errTable("address is missing: the address of the listener this frontend is on")
		case t.v.fields["address"].kind != kString: // reported by t.str
		case errors.As(err, &fe):
			t.errKey("address", "%s", fe.Reason)
		default:
			t.errKey("address", "no listener on %s; declare it in a [[listeners]] table", f.Address)
		}
		return
	}
	f.Address = li.address
	deps := []string{listenerDep(li.address)}
	if !f.Deny {
		deps = append(deps, clusterDep(c.ID))
	}
	switch li.protocol {
	case order.TCP:
		if k := markRead(t, tcpRefusedKeys); k != "" {
			t.errKey(k, "has no meaning on tcp listener %s (a tcp frontend is its address and an optional hostname)", li.address)
			return
		}
		if c.Protocol == "" || c.Protocol == order.HTTP {
			t.errKey("address", "listener %s is tcp but cluster %q is http; set protocol = \"tcp\" in the cluster", li.address, c.ID)
			return
		}
		b.frontends = append(b.frontends, step{o: order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{
			Address: li.address, Hostname: f.Hostname, ClusterID: c.ID}}, src: t, deps: deps})
		return
	case order.HTTP, order.HTTPS:
	default: // the listener is refused for its protocol
		markRead(t, certKeys)
		return
	}
	if c.Protocol == order.TCP && !f.Deny {
		markRead(t, certKeys)
		t.errKey("address", "listener %s is %s but cluster %q is tcp; a tcp cluster's frontends are on tcp listeners",
			li.address, li.protocol, c.ID)
		return
	}
	if li.protocol == order.HTTP {
		if k := markRead(t, certKeys); k != "" {
			t.errKey(k, "a certificate needs an https listener; %s is http", li.address)
		}
		b.frontends = append(b.frontends, step{o: order.AddHTTPFrontend{HTTPFrontend: f}, src: t, deps: deps})
		return
	}
	if cert, _ := b.l.certificate(t, true); cert != nil {
		b.certs = append(b.certs, step{o: order.AddCertificate{Address: li.address, Certificate: *cert}, src: t,
			deps: deps[:1]})
	}
	b.frontends = append(b.frontends, step{o: order.AddHTTPSFrontend{HTTPFrontend: f}, src: t, deps: deps})
}

// backend reads one backend of cluster c.
func (b *plan) backend(c order.Cluster, t *table) {
	be := order.Backend{
		ClusterID: c.ID,
		ID:        t.str("id"),
		Address:   t.str("address"),
		Weight:    t.integer("weight", order.MinWeight, order.MaxWeight),
		Backup:    t.boolean("backup"),
		StickyID:  t.str("sticky_id"),
	}
	t.done()
	b.backends = append(b.backends, step{o: order.AddBackend{Backend: be}, src: t, deps: []string{clusterDep(c.ID)}})
}
