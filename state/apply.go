package state

import (
	"reflect"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
)

// Check reports whether o would apply to s, without changing s. It returns
// the error Apply would return. Queries always pass.
func (s *State) Check(o order.Order) error { return s.do(o, false) }

// Apply validates o and applies it; on error s is unchanged.
func (s *State) Apply(o order.Order) error { return s.do(o, true) }

func (s *State) do(o order.Order, commit bool) error {
	if o == nil {
		return errf("kind", "missing order")
	}
	if err := o.Validate(); err != nil {
		return err
	}
	switch o := o.(type) {
	case order.AddListener:
		return s.addListener(o.Listener, commit)
	case order.RemoveListener:
		if _, ok := s.listeners[o.Address]; !ok {
			return errf("listener.address", "no listener on %s", o.Address)
		}
		if commit {
			s.removeListener(o.Address)
		}
	case order.ActivateListener:
		return s.setActive(o.Address, true, commit)
	case order.DeactivateListener:
		return s.setActive(o.Address, false, commit)
	case order.AddCluster:
		return s.addCluster(o.Cluster, commit)
	case order.RemoveCluster:
		if _, ok := s.clusters[o.ID]; !ok {
			return errf("cluster.id", "no cluster %q", o.ID)
		}
		if commit {
			s.removeCluster(o.ID)
		}
	case order.AddHTTPFrontend:
		return s.addHTTPFrontend(order.HTTP, o.HTTPFrontend, commit)
	case order.AddHTTPSFrontend:
		return s.addHTTPFrontend(order.HTTPS, o.HTTPFrontend, commit)
	case order.RemoveHTTPFrontend:
		return s.removeHTTPFrontend(order.HTTP, o.HTTPFrontend, commit)
	case order.RemoveHTTPSFrontend:
		return s.removeHTTPFrontend(order.HTTPS, o.HTTPFrontend, commit)
	case order.AddTCPFrontend:
		return s.addTCPFrontend(o.TCPFrontend, commit)
	case order.RemoveTCPFrontend:
		if _, ok := s.tcp[o.Address]; !ok {
			return errf("frontend.address", "no tcp frontend on %s", o.Address)
		}
		if commit {
			delete(s.tcp, o.Address)
		}
	case order.AddBackend:
		return s.addBackend(o.Backend, commit)
	case order.RemoveBackend:
		if _, ok := s.backends[backendKey{o.ClusterID, o.ID}]; !ok {
			return errf("backend.id", "no backend %q in cluster %q", o.ID, o.ClusterID)
		}
		if commit {
			delete(s.backends, backendKey{o.ClusterID, o.ID})
		}
	case order.AddCertificate:
		return s.addCertificate(o, commit)
	case order.ReplaceCertificate:
		return s.replaceCertificate(o, commit)
	case order.RemoveCertificate:
		return s.removeCertificate(o, commit)
	case order.ListListeners, order.ListClusters, order.ListFrontends, order.ListBackends,
		order.ListCertificates, order.Status, order.DumpState:
		// Queries change nothing.
	default:
		return errf("kind", "unsupported order %q", o.Kind())
	}
	return nil
}

func (s *State) addListener(l order.Listener, commit bool) error {
	if old, ok := s.listeners[l.Address]; ok {
		if sameListener(old, l) {
			return nil
		}
		return errf("listener.address", "a different %s listener already exists on %s", old.Protocol, l.Address)
	}
	var def *cert.Cert
	if l.Certificate != nil {
		var err error
		if def, err = parseCert(*l.Certificate, "listener.certificate"); err != nil {
			return err
		}
	}
	if commit {
		s.listeners[l.Address] = l
		if def != nil {
			s.defaults[l.Address] = def
		}
	}
	return nil
}

// sameListener compares listeners ignoring whether they are active.
func sameListener(a, b order.Listener) bool {
	a.Active, b.Active = false, false
	return reflect.DeepEqual(a, b)
}

func (s *State) setActive(addr string, active, commit bool) error {
	l, ok := s.listeners[addr]
	if !ok {
		return errf("listener.address", "no listener on %s", addr)
	}
	if commit {
		l.Active = active
		s.listeners[addr] = l
	}
	return nil
}

func (s *State) removeListener(addr string) {
	delete(s.listeners, addr)
	delete(s.tcp, addr)
	delete(s.certs, addr)
	delete(s.defaults, addr)
	for k := range s.http {
		if k.address == addr {
			delete(s.http, k)
		}
	}
}

func (s *State) addCluster(c order.Cluster, commit bool) error {
	if c.Protocol == "" {
		c.Protocol = order.HTTP
	}
	if c.LoadBalancing == "" {
		c.LoadBalancing = order.RoundRobin
	}
	if old, ok := s.clusters[c.ID]; ok && old.Protocol != c.Protocol {
		return errf("cluster.protocol", "cluster %q is %s; remove it to change its protocol", c.ID, old.Protocol)
	}
	if commit {
		s.clusters[c.ID] = c
	}
	return nil
}

func (s *State) removeCluster(id string) {
	delete(s.clusters, id)
	for k, f := range s.http {
		if f.ClusterID == id {
			delete(s.http, k)
		}
	}
	for k, f := range s.tcp {
		if f.ClusterID == id {
			delete(s.tcp, k)
		}
	}
	for k := range s.backends {
		if k.cluster == id {
			delete(s.backends, k)
		}
	}
}

func (s *State) needListener(addr string, p order.Protocol) error {
	l, ok := s.listeners[addr]
	if !ok {
		return errf("frontend.address", "no listener on %s", addr)
	}
	if l.Protocol != p {
		return errf("frontend.address", "listener %s is %s, not %s", addr, l.Protocol, p)
	}
	return nil
}

func (s *State) needCluster(field, id string, p order.Protocol) error {
	c, ok := s.clusters[id]
	if !ok {
		return errf(field, "no cluster %q", id)
	}
	if c.Protocol != p {
		return errf(field, "cluster %q is a %s cluster, not %s", id, c.Protocol, p)
	}
	return nil
}

// normalize applies a frontend's defaults and normalises its hostname, so
// that equal frontends compare equal.
func normalize(f order.HTTPFrontend) order.HTTPFrontend {
	if f.PathType == "" {
		f.PathType = order.Prefix
	}
	if h, err := router.NormalizeHostname(f.Hostname); err == nil {
		f.Hostname = h
	}
	return f
}

func (s *State) addHTTPFrontend(p order.Protocol, f order.HTTPFrontend, commit bool) error {
	f = normalize(f)
	if err := s.needListener(f.Address, p); err != nil {
		return err
	}
	if !f.Deny {
		if err := s.needCluster("frontend.cluster_id", f.ClusterID, order.HTTP); err != nil {
			return err
		}
	}
	if err := checkRule(f); err != nil {
		return err
	}
	k := httpKey(f)
	if old, ok := s.http[k]; ok {
		if old == f {
			return nil
		}
		return errf("frontend", "a frontend with this address, hostname, path and method already exists, for %s", target(old))
	}
	if commit {
		s.http[k] = f
	}
	return nil
}

func target(f order.HTTPFrontend) string {
	if f.Deny {
		return "deny"
	}
	return "cluster " + f.ClusterID
}

func (s *State) removeHTTPFrontend(p order.Protocol, f order.HTTPFrontend, commit bool) error {
	f = normalize(f)
	if err := s.needListener(f.Address, p); err != nil {
		return err
	}
	if err := checkRule(f); err != nil {
		return err
	}
	k := httpKey(f)
	if _, ok := s.http[k]; !ok {
		return errf("frontend", "no such %s frontend on %s", p, f.Address)
	}
	if commit {
		delete(s.http, k)
	}
	return nil
}

// HTTPFrontend returns the stored frontend with the same key as f.
func (s *State) HTTPFrontend(f order.HTTPFrontend) (order.HTTPFrontend, bool) {
	f = normalize(f)
	g, ok := s.http[httpKey(f)]
	return g, ok
}

func (s *State) addTCPFrontend(f order.TCPFrontend, commit bool) error {
	if err := s.needListener(f.Address, order.TCP); err != nil {
		return err
	}
	if err := s.needCluster("frontend.cluster_id", f.ClusterID, order.TCP); err != nil {
		return err
	}
	if old, ok := s.tcp[f.Address]; ok {
		if old == f {
			return nil
		}
		return errf("frontend.address", "listener %s already sends to cluster %q", f.Address, old.ClusterID)
	}
	if commit {
		s.tcp[f.Address] = f
	}
	return nil
}

func (s *State) addBackend(b order.Backend, commit bool) error {
	if b.Weight == 0 {
		b.Weight = 100
	}
	if _, ok := s.clusters[b.ClusterID]; !ok {
		return errf("backend.cluster_id", "no cluster %q", b.ClusterID)
	}
	k := backendKey{b.ClusterID, b.ID}
	if old, ok := s.backends[k]; ok {
		if old == b {
			return nil
		}
		return errf("backend.id", "backend %q of cluster %q already exists with other settings; remove it first", b.ID, b.ClusterID)
	}
	sticky := func(b order.Backend) string {
		if b.StickyID != "" {
			return b.StickyID
		}
		return b.ID
	}
	for _, o := range s.backends {
		if o.ClusterID != b.ClusterID {
			continue
		}
		if o.Address == b.Address {
			return errf("backend.address", "%s is already backend %q of cluster %q", b.Address, o.ID, o.ClusterID)
		}
		if sticky(o) == sticky(b) {
			return errf("backend.sticky_id", "%q already selects backend %q of cluster %q", sticky(b), o.ID, o.ClusterID)
		}
	}
	if commit {
		s.backends[k] = b
	}
	return nil
}
