package state

import (
	"net"
	"reflect"
	"strings"

	"github.com/sluiceproxy/sluice/order"
)

func (s State) needListener(addr string, p order.Protocol) error {
	l, ok := s.listeners.get(addr)
	if !ok {
		return order.NotFound("frontend.address", "no listener on %s", addr)
	}
	if l.Protocol != p {
		return errf("frontend.address", "listener %s is %s, not %s", addr, l.Protocol, p)
	}
	return nil
}

func (s State) needCluster(field, id string, p order.Protocol) error {
	c, ok := s.clusters.get(id)
	if !ok {
		return order.NotFound(field, "no cluster %q", id)
	}
	if c.Protocol != p {
		return errf(field, "cluster %q is a %s cluster, not %s", id, c.Protocol, p)
	}
	return nil
}

// checkHTTPFrontend checks a normalised frontend's listener, cluster and
// rule.
func (s State) checkHTTPFrontend(p order.Protocol, f order.HTTPFrontend) error {
	if err := s.needListener(f.Address, p); err != nil {
		return err
	}
	if f.ClusterID != "" {
		if err := s.needCluster("frontend.cluster_id", f.ClusterID, order.HTTP); err != nil {
			return err
		}
	}
	if err := checkRule(f); err != nil {
		return err
	}
	if err := checkACME(p, f); err != nil {
		return err
	}
	return checkRewrites(f)
}

// checkACME refuses acme = true on an http frontend and on a hostname
// that HTTP-01 and TLS-ALPN-01 cannot validate.
func checkACME(p order.Protocol, f order.HTTPFrontend) error {
	switch {
	case !f.ACME:
		return nil
	case p != order.HTTPS:
		return errf("frontend.acme", "ACME certificates need an https frontend (http listeners answer HTTP-01 by themselves)")
	case strings.ContainsAny(f.Hostname, "*/") || net.ParseIP(f.Hostname) != nil:
		return errf("frontend.acme", "needs an exact host name: %q cannot be validated by HTTP-01 nor TLS-ALPN-01 (a wildcard needs DNS-01, which Sluice does not answer)", f.Hostname)
	}
	return nil
}

func target(f order.HTTPFrontend) string {
	switch {
	case f.Deny:
		return "deny"
	case f.ClusterID == "":
		return "a redirect"
	}
	return "cluster " + f.ClusterID
}

func (t *step) addHTTPFrontend(p order.Protocol, f order.HTTPFrontend) error {
	f = normalize(f)
	if err := t.s.checkHTTPFrontend(p, f); err != nil {
		return err
	}
	k := httpKey(f)
	if old, ok := t.s.http.get(k); ok {
		if reflect.DeepEqual(old, f) {
			return nil // identical
		}
		return order.Conflict("frontend", "a frontend with this address, hostname, path, method, position and conditions already exists, for %s; change it with update_%s_frontend", target(old), p)
	}
	t.s.http = t.s.http.with(k, f)
	t.emit(SetRoute{Frontend: f})
	return nil
}

func (t *step) updateHTTPFrontend(p order.Protocol, o order.UpdateHTTPFrontend) error {
	k := httpKey(normalize(o.HTTPFrontend))
	if err := t.s.needListener(o.Address, p); err != nil {
		return err
	}
	old, ok := t.s.http.get(k)
	if !ok {
		if err := checkRule(normalize(o.HTTPFrontend)); err != nil {
			return err
		}
		return order.NotFound("frontend", "no such %s frontend on %s; add it with add_%s_frontend", p, o.Address, p)
	}
	f := normalize(o.Patch(old))
	if err := f.Validate(); err != nil {
		return err
	}
	if err := t.s.checkHTTPFrontend(p, f); err != nil {
		return err
	}
	if reflect.DeepEqual(old, f) {
		return nil
	}
	t.s.http = t.s.http.with(k, f)
	t.emit(SetRoute{Frontend: f})
	return nil
}

func (t *step) removeHTTPFrontend(p order.Protocol, f order.HTTPFrontend) error {
	f = normalize(f)
	if err := t.s.needListener(f.Address, p); err != nil {
		return err
	}
	if err := checkRule(f); err != nil {
		return err
	}
	k := httpKey(f)
	old, ok := t.s.http.get(k)
	if !ok {
		return order.NotFound("frontend", "no such %s frontend on %s", p, f.Address)
	}
	t.s.http = t.s.http.without(k)
	t.emit(RemoveRoute{Frontend: old})
	return nil
}
