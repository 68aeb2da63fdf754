package state

import (
	"reflect"

	"github.com/sluiceproxy/sluice/order"
)

// normCluster applies a cluster's defaults, so that equal clusters compare
// equal.
func normCluster(c order.Cluster) order.Cluster {
	if c.Protocol == "" {
		c.Protocol = order.HTTP
	}
	if c.LoadBalancing == "" {
		c.LoadBalancing = order.RoundRobin
	}
	if len(c.Answers) == 0 {
		c.Answers = nil
	}
	if len(c.Headers) == 0 {
		c.Headers = nil
	}
	// http2 = true is the earlier spelling of backend_protocol h2, and
	// http1 the default: the state keeps one spelling of each.
	if c.BackendProtocol = c.Speaks(); c.BackendProtocol == order.HTTP1 {
		c.BackendProtocol = ""
	}
	c.HTTP2 = false
	return c
}

// normBackend applies a backend's defaults.
func normBackend(b order.Backend) order.Backend {
	if b.Weight == 0 {
		b.Weight = order.DefaultWeight
	}
	return b
}

func (t *step) addCluster(c order.Cluster) error {
	c = normCluster(c)
	if old, ok := t.s.clusters.get(c.ID); ok {
		switch {
		case reflect.DeepEqual(old, c):
			return nil // identical
		case old.Protocol != c.Protocol:
			return order.Conflict("cluster.protocol", "cluster %q is %s; remove it to change its protocol", c.ID, old.Protocol)
		}
		return order.Conflict("cluster.id", "cluster %q already exists with other settings; change them with update_cluster", c.ID)
	}
	if err := checkAnswers("cluster.answers", c.Answers); err != nil {
		return err
	}
	if err := checkClusterRoute(c); err != nil {
		return err
	}
	t.s.clusters = t.s.clusters.with(c.ID, c)
	t.emit(CreateCluster{Cluster: c})
	return nil
}

func (t *step) updateCluster(o order.UpdateCluster) error {
	old, ok := t.s.clusters.get(o.ID)
	if !ok {
		return order.NotFound("cluster.id", "no cluster %q", o.ID)
	}
	c := normCluster(o.Patch(old))
	if err := c.Validate(); err != nil {
		return err
	}
	if err := checkAnswers("cluster.answers", c.Answers); err != nil {
		return err
	}
	if err := checkClusterRoute(c); err != nil {
		return err
	}
	if reflect.DeepEqual(old, c) {
		return nil
	}
	t.s.clusters = t.s.clusters.with(c.ID, c)
	t.emit(ClusterSettings{Cluster: c})
	return nil
}

// removeCluster removes the cluster with its frontends and backends: their
// routes go first, then the backends, then the cluster.
func (t *step) removeCluster(id string) error {
	if !t.s.clusters.has(id) {
		return order.NotFound("cluster.id", "no cluster %q", id)
	}
	for _, p := range []order.Protocol{order.HTTP, order.HTTPS} {
		for _, f := range t.s.HTTPFrontends(p) {
			if f.ClusterID == id {
				t.s.http = t.s.http.without(httpKey(f))
				t.emit(RemoveRoute{Frontend: f})
			}
		}
	}
	for _, f := range t.s.TCPFrontends() {
		if f.ClusterID == id {
			t.s.tcp = t.s.tcp.without(keyOfTCP(f))
			t.emit(SetTCPRoute{Address: f.Address, Hostname: f.Hostname})
		}
	}
	for _, b := range t.s.Backends(id) {
		t.s.backends = t.s.backends.without(backendKey{id, b.ID})
		t.emit(RemoveBackend{ClusterID: id, ID: b.ID})
	}
	t.s.clusters = t.s.clusters.without(id)
	t.emit(CloseCluster{ID: id})
	return nil
}

func stickyID(b order.Backend) string {
	if b.StickyID != "" {
		return b.StickyID
	}
	return b.ID
}

// checkUnique refuses b when another backend of its cluster has its
// address or its sticky id.
func (s State) checkUnique(b order.Backend) error {
	for _, o := range s.Backends(b.ClusterID) {
		if o.ID == b.ID {
			continue
		}
		if o.Address == b.Address {
			return order.Conflict("backend.address", "%s is already backend %q of cluster %q", b.Address, o.ID, o.ClusterID)
		}
		if stickyID(o) == stickyID(b) {
			return order.Conflict("backend.sticky_id", "%q already selects backend %q of cluster %q", stickyID(b), o.ID, o.ClusterID)
		}
	}
	return nil
}

func (t *step) addBackend(b order.Backend) error {
	b = normBackend(b)
	if !t.s.clusters.has(b.ClusterID) {
		return order.NotFound("backend.cluster_id", "no cluster %q", b.ClusterID)
	}
	if old, ok := t.s.backends.get(backendKey{b.ClusterID, b.ID}); ok {
		if old == b {
			return nil // identical
		}
		return order.Conflict("backend.id", "backend %q of cluster %q already exists with other settings; change them with update_backend", b.ID, b.ClusterID)
	}
	if err := t.s.checkUnique(b); err != nil {
		return err
	}
	t.s.backends = t.s.backends.with(backendKey{b.ClusterID, b.ID}, b)
	t.emit(AddBackend{Backend: b})
	return nil
}

func (t *step) updateBackend(o order.UpdateBackend) error {
	old, ok := t.s.backends.get(backendKey{o.ClusterID, o.ID})
	if !ok {
		return order.NotFound("backend.id", "no backend %q in cluster %q", o.ID, o.ClusterID)
	}
	b := o.Patch(old)
	if err := t.s.checkUnique(b); err != nil {
		return err
	}
	if b == old {
		return nil
	}
	t.s.backends = t.s.backends.with(backendKey{b.ClusterID, b.ID}, b)
	t.emit(UpdateBackend{Backend: b})
	return nil
}

func (t *step) removeBackend(cluster, id string) error {
	if !t.s.backends.has(backendKey{cluster, id}) {
		return order.NotFound("backend.id", "no backend %q in cluster %q", id, cluster)
	}
	t.s.backends = t.s.backends.without(backendKey{cluster, id})
	t.emit(RemoveBackend{ClusterID: cluster, ID: id})
	return nil
}
