package backend

import (
	"slices"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
)

// Update gives the backend with cfg's id the configuration cfg (weight,
// backup, sticky id, address) in one atomic store of the cluster's backend
// list, in the same place in it: no request finds the cluster without the
// backend, as remove-then-add would let it. It reports false when the
// cluster has no such backend. Only the proxy's loop calls it.
//
// A Backend's configuration is immutable, so a new Backend takes the old
// one's place, with the same metrics. With the address unchanged it is the
// same server: the new Backend inherits the old one's health (a backend
// down stays down, its recovery goes on) and its idle connections, and
// the old one retires quietly: requests holding it finish, their
// connections close rather than return to a pool, and no drained event is
// sent. A new address is another server: the new Backend starts up with
// no connection, and the old one drains like a removed backend, with its
// backend_drained event (its server may then be stopped). resolved are the
// addresses cfg's host name resolves to (nil for an IP; see SetResolved).
func (c *Cluster) Update(cfg order.Backend, maxIdle int, resolved []string) bool {
	old := c.set.Load().all
	i := slices.IndexFunc(old, func(b *Backend) bool { return b.Config.ID == cfg.ID })
	if i < 0 {
		return false
	}
	prev := old[i]
	nb := NewBackend(cfg, maxIdle)
	nb.M, nb.cluster = prev.M, c
	nb.SetResolved(resolved)
	if cfg.Address == prev.Addr {
		prev.hmu.Lock()
		nb.hmu.Lock()
		nb.health = prev.health
		nb.publishLocked()
		nb.hmu.Unlock()
		prev.hmu.Unlock()
		prev.mu.Lock()
		idle := prev.idle
		prev.idle = nil
		prev.mu.Unlock()
		for _, conn := range idle {
			conn.Backend = nb // idle: no request holds it
		}
		nb.idle = idle
		prev.drained.Store(true) // retired, not removed: no drained event
	}
	all := slices.Clone(old)
	all[i] = nb
	c.set.Store(newBackendSet(all))
	prev.remove()
	if nb.Status() == health.Down {
		c.startRecovery(nb)
	}
	c.checkAvailability()
	c.watchAddrs(nb)
	return true
}
