package state

import (
	"cmp"
	"slices"

	"github.com/sluiceproxy/sluice/order"
)

// Dump returns the whole configuration with every list sorted by key, so
// that equal states dump equal.
func (s State) Dump() *order.State {
	d := &order.State{
		Version:        order.StateVersion,
		Listeners:      s.Listeners(),
		Clusters:       s.Clusters(),
		HTTPFrontends:  s.HTTPFrontends(order.HTTP),
		HTTPSFrontends: s.HTTPFrontends(order.HTTPS),
		TCPFrontends:   s.TCPFrontends(),
		Backends:       s.Backends(""),
		Certificates:   []order.AddCertificate{},
	}
	for _, addr := range sortedKeys(s.certs) {
		set, _ := s.certs.get(addr)
		for _, fp := range sortedKeys(set) {
			c, _ := set.get(fp)
			d.Certificates = append(d.Certificates, c.order)
		}
	}
	return d
}

// Listeners lists the listeners by address.
func (s State) Listeners() []order.Listener {
	out := make([]order.Listener, 0, s.listeners.len())
	for _, k := range sortedKeys(s.listeners) {
		l, _ := s.listeners.get(k)
		out = append(out, l)
	}
	return out
}

// Clusters lists the clusters by id.
func (s State) Clusters() []order.Cluster {
	out := make([]order.Cluster, 0, s.clusters.len())
	for _, k := range sortedKeys(s.clusters) {
		c, _ := s.clusters.get(k)
		out = append(out, c)
	}
	return out
}

// HTTPFrontends lists the frontends of http (or https) listeners, by
// address, hostname, path type, path and method.
func (s State) HTTPFrontends(p order.Protocol) []order.HTTPFrontend {
	out := []order.HTTPFrontend{}
	for _, f := range s.http.all {
		if l, _ := s.listeners.get(f.Address); l.Protocol == p {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b order.HTTPFrontend) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Hostname, b.Hostname),
			cmp.Compare(a.PathType, b.PathType), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method))
	})
	return out
}

// TCPFrontends lists the tcp frontends by address and hostname (the
// default route first).
func (s State) TCPFrontends() []order.TCPFrontend {
	out := make([]order.TCPFrontend, 0, s.tcp.len())
	for _, f := range s.tcp.all {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b order.TCPFrontend) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Hostname, b.Hostname))
	})
	return out
}

// Backends lists the backends of one cluster, or of all when cluster is
// empty, by cluster and id.
func (s State) Backends(cluster string) []order.Backend {
	out := []order.Backend{}
	for k, b := range s.backends.all {
		if cluster == "" || k.cluster == cluster {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b order.Backend) int {
		return cmp.Or(cmp.Compare(a.ClusterID, b.ClusterID), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Certificates lists certificate summaries of one listener, or of all when
// addr is empty.
func (s State) Certificates(addr string) []order.CertificateInfo {
	out := []order.CertificateInfo{}
	for _, a := range sortedKeys(s.certs) {
		if addr != "" && a != addr {
			continue
		}
		set, _ := s.certs.get(a)
		for _, fp := range sortedKeys(set) {
			c, _ := set.get(fp)
			out = append(out, c.info(a))
		}
	}
	return out
}

// Query answers the listing orders and the state dump from the
// configuration alone. It reports false for orders it does not answer.
func (s State) Query(o order.Order) (*order.Content, bool) {
	switch o := o.(type) {
	case order.ListListeners:
		return &order.Content{Listeners: s.Listeners()}, true
	case order.ListClusters:
		return &order.Content{Clusters: s.Clusters()}, true
	case order.ListFrontends:
		return &order.Content{HTTPFrontends: s.HTTPFrontends(order.HTTP),
			HTTPSFrontends: s.HTTPFrontends(order.HTTPS), TCPFrontends: s.TCPFrontends()}, true
	case order.ListCertificates:
		return &order.Content{Certificates: s.Certificates(o.Address)}, true
	case order.DumpState:
		return &order.Content{State: s.Dump()}, true
	}
	return nil, false
}

func sortedKeys[V any](m pmap[string, V]) []string {
	keys := make([]string, 0, m.len())
	for k := range m.all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
