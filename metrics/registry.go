package metrics

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
)

// Registry names the metric sets of the objects that exist now: listeners by
// address, clusters by id, backends by cluster id and backend id. Its methods
// are safe for concurrent use. Registration is rare and exports occasional;
// counting goes through the sets and never touches the registry.
//
// A set that is removed stays usable (requests in flight may still count
// through it) but is exported no more; adding the object again registers a
// new, zeroed set, which exports see as a counter reset.
type Registry struct {
	mu        sync.RWMutex
	listeners map[string]*Listener
	clusters  map[string]*Cluster
	backends  map[BackendKey]*Backend
	accessLog atomic.Pointer[func() AccessLogLines] // see SetAccessLog
	spans     atomic.Pointer[func() Spans]          // see SetSpans
	fleet     atomic.Pointer[func() Fleet]          // see SetFleet
}

// BackendKey names a backend: its cluster id and its id in the cluster.
type BackendKey struct {
	Cluster string
	Backend string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		listeners: map[string]*Listener{},
		clusters:  map[string]*Cluster{},
		backends:  map[BackendKey]*Backend{},
	}
}

// AddListener returns the set of the listener at address, registering a new
// one if there is none.
func (r *Registry) AddListener(address string) *Listener {
	return getOrAdd(r, r.listeners, address)
}

// RemoveListener unregisters the listener at address, if registered.
func (r *Registry) RemoveListener(address string) {
	r.mu.Lock()
	delete(r.listeners, address)
	r.mu.Unlock()
}

// AddCluster returns the set of cluster id, registering a new one if there is
// none.
func (r *Registry) AddCluster(id string) *Cluster {
	return getOrAdd(r, r.clusters, id)
}

// RemoveCluster unregisters cluster id and every backend of it, as removing a
// cluster removes its backends.
func (r *Registry) RemoveCluster(id string) {
	r.mu.Lock()
	delete(r.clusters, id)
	for k := range r.backends {
		if k.Cluster == id {
			delete(r.backends, k)
		}
	}
	r.mu.Unlock()
}

// AddBackend returns the set of backend id of cluster clusterID, registering
// a new one if there is none. The cluster need not be registered.
func (r *Registry) AddBackend(clusterID, id string) *Backend {
	return getOrAdd(r, r.backends, BackendKey{clusterID, id})
}

// RemoveBackend unregisters backend id of cluster clusterID, if registered.
func (r *Registry) RemoveBackend(clusterID, id string) {
	r.mu.Lock()
	delete(r.backends, BackendKey{clusterID, id})
	r.mu.Unlock()
}

func getOrAdd[K comparable, S any](r *Registry, m map[K]*S, k K) *S {
	r.mu.RLock()
	s := m[k]
	r.mu.RUnlock()
	if s != nil {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s = m[k]; s == nil {
		s = new(S)
		m[k] = s
	}
	return s
}

// entry is a registered set with its name.
type entry[K any, S any] struct {
	key K
	set *S
}

// contents lists the registered sets, sorted by name, so that exports are
// deterministic. The sets are read after the lock is released.
func (r *Registry) contents() ([]entry[string, Listener], []entry[string, Cluster], []entry[BackendKey, Backend]) {
	r.mu.RLock()
	ls := collect(r.listeners)
	cs := collect(r.clusters)
	bs := collect(r.backends)
	r.mu.RUnlock()
	slices.SortFunc(ls, func(a, b entry[string, Listener]) int { return cmp.Compare(a.key, b.key) })
	slices.SortFunc(cs, func(a, b entry[string, Cluster]) int { return cmp.Compare(a.key, b.key) })
	slices.SortFunc(bs, func(a, b entry[BackendKey, Backend]) int {
		return cmp.Or(cmp.Compare(a.key.Cluster, b.key.Cluster), cmp.Compare(a.key.Backend, b.key.Backend))
	})
	return ls, cs, bs
}

func collect[K comparable, S any](m map[K]*S) []entry[K, S] {
	out := make([]entry[K, S], 0, len(m))
	for k, s := range m {
		out = append(out, entry[K, S]{k, s})
	}
	return out
}
