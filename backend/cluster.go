package backend

import (
	"sync/atomic"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/order"
)

// Settings is an immutable snapshot of a cluster's configuration.
type Settings struct {
	order.Cluster
	// Answers are the cluster's own default answers (nil: none).
	Answers *answer.Set
	// HSTS is the cluster's Strict-Transport-Security header line (CRLF
	// included), or nil: sent on https listeners instead of theirs.
	HSTS []byte
}

// Cluster is the runtime side of a cluster: its settings and backends.
// Its methods are safe for concurrent use; only the proxy's loop calls the
// mutating ones (SetSettings, Add, Remove, Close).
type Cluster struct {
	ID       string
	settings atomic.Pointer[Settings]
	set      atomic.Pointer[backendSet]
	rr       atomic.Uint64 // round-robin position
}

// NewCluster returns an empty cluster with the settings.
func NewCluster(s *Settings) *Cluster {
	c := &Cluster{ID: s.ID}
	c.settings.Store(s)
	c.set.Store(newBackendSet(nil))
	return c
}

// Settings returns the current settings.
func (c *Cluster) Settings() *Settings { return c.settings.Load() }

// SetSettings publishes new settings; requests in flight keep the old ones.
func (c *Cluster) SetSettings(s *Settings) { c.settings.Store(s) }

// Backends returns the current backends (primary then backup, each in the
// order added). The slice must not be modified.
func (c *Cluster) Backends() []*Backend { return c.set.Load().all }

// Add publishes a new backend list with b. The caller has checked that no
// backend with b's id exists.
func (c *Cluster) Add(b *Backend) {
	old := c.set.Load().all
	all := make([]*Backend, 0, len(old)+1)
	all = append(append(all, old...), b)
	c.set.Store(newBackendSet(all))
}

// Remove takes the backend with id out of the list; requests holding it
// finish, its idle connections close. It returns the removed backend.
func (c *Cluster) Remove(id string) *Backend {
	old := c.set.Load().all
	var gone *Backend
	all := make([]*Backend, 0, len(old))
	for _, b := range old {
		if b.Config.ID == id {
			gone = b
			continue
		}
		all = append(all, b)
	}
	if gone == nil {
		return nil
	}
	c.set.Store(newBackendSet(all))
	gone.remove()
	return gone
}

// Close removes every backend (the cluster itself was removed).
func (c *Cluster) Close() {
	old := c.set.Swap(newBackendSet(nil))
	for _, b := range old.all {
		b.remove()
	}
}

// Pick chooses a backend for a new request with the cluster's algorithm,
// skipping backends in skip (those a retry already failed on). It returns
// nil when no backend is usable. Pick allocates nothing.
func (c *Cluster) Pick(skip *Backend) *Backend {
	s := c.set.Load()
	alg := c.settings.Load().LoadBalancing
	if b := s.primary.pick(alg, &c.rr, skip); b != nil {
		return b
	}
	return s.backup.pick(alg, &c.rr, skip)
}
