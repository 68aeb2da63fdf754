package state

import (
	"cmp"
	"slices"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
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
// address, hostname, path type, path, method, position and conditions:
// by their whole key, so that equal states list (and dump) their
// frontends in the same order.
func (s State) HTTPFrontends(p order.Protocol) []order.HTTPFrontend {
	type keyed struct {
		k frontKey
		f order.HTTPFrontend
	}
	all := []keyed{}
	for k, f := range s.http.all {
		if l, _ := s.listeners.get(f.Address); l.Protocol == p {
			all = append(all, keyed{k, f})
		}
	}
	slices.SortFunc(all, func(a, b keyed) int { return compareFrontKeys(a.k, b.k) })
	out := make([]order.HTTPFrontend, len(all))
	for i, e := range all {
		out[i] = e.f
	}
	return out
}

// compareFrontKeys orders frontend keys by address, hostname, path type,
// path, method, position (pre, tree, post: the order they are tried in)
// and conditions: a total order, since the key names one frontend.
func compareFrontKeys(a, b frontKey) int {
	x, y := a.rule, b.rule
	return cmp.Or(cmp.Compare(a.address, b.address), cmp.Compare(x.Hostname, y.Hostname),
		cmp.Compare(x.PathType, y.PathType), cmp.Compare(x.Path, y.Path), cmp.Compare(x.Method, y.Method),
		cmp.Compare(positionRank(x.Position), positionRank(y.Position)), cmp.Compare(x.Match, y.Match))
}

// positionRank ranks positions in the order they are tried.
func positionRank(p router.Position) int {
	switch p {
	case router.PositionPre:
		return 0
	case router.PositionTree:
		return 1
	}
	return 2
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
