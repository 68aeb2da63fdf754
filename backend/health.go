package backend

import (
	"math/rand/v2"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
)

// The health of a backend lives in a health.State guarded by b.hmu; the
// fields the request path reads (status, retryAt, checkDown) are mirrored in
// atomics so that picking a backend takes no lock. Transitions are rare:
// they happen on failed connects, on the first success after failures and
// on health-check results.

// eligible reports, without taking anything, whether b may be picked at
// now: up, or in backoff with its wait over and no trial running. A down
// backend never is.
func (b *Backend) eligible(now func() time.Time) bool {
	switch health.Status(b.status.Load()) {
	case health.Up:
		return true
	case health.Down:
		return false
	}
	return !b.trial.Load() && now().UnixNano() >= b.retryAt.Load()
}

// claim makes the caller the holder of b's trial if b is not up. It reports
// whether b may be used, and whether as a trial (then the caller must dial,
// whose outcome ends the trial).
func (b *Backend) claim() (ok, trial bool) {
	if health.Status(b.status.Load()) == health.Up {
		return true, false
	}
	if !b.trial.CompareAndSwap(false, true) {
		return false, false
	}
	return true, true
}

// Status is the backend's health now.
func (b *Backend) Status() health.Status { return health.Status(b.status.Load()) }

// HealthInfo returns the status, the failed connects in a row and the last
// check result ("ok", "failed", "" when none).
func (b *Backend) HealthInfo() (st health.Status, failures int, check string) {
	b.hmu.Lock()
	defer b.hmu.Unlock()
	if ok, checked := b.health.LastCheck(); checked {
		check = "failed"
		if ok {
			check = "ok"
		}
	}
	return b.health.Status(), b.health.Failures(), check
}

// passive is the passive health policy of the cluster's connects: the
// proxy's (Env.Health) with what the cluster's passive_health sets.
func (c *Cluster) passive() health.Policy {
	ph := c.Settings().PassiveHealth
	if ph == nil {
		return c.policy
	}
	return c.policy.With(health.Policy{MaxFailures: ph.MaxFailures, BackoffBase: ph.Backoff.D(), BackoffMax: ph.BackoffMax.D()})
}

// connectFailed records a refused or timed-out connect.
func (b *Backend) connectFailed() {
	c := b.cluster
	b.hmu.Lock()
	tr := b.health.ConnectFailed(c.env.Now(), c.passive(), rand.Float64())
	b.publishLocked()
	b.hmu.Unlock()
	b.trial.Store(false)
	c.transition(b, tr, "connect failures")
}

// connectSucceeded records a completed connect; it costs one atomic load
// while the backend is up.
func (b *Backend) connectSucceeded() {
	if health.Status(b.status.Load()) == health.Up {
		return
	}
	b.hmu.Lock()
	tr := b.health.ConnectSucceeded()
	b.publishLocked()
	b.hmu.Unlock()
	b.trial.Store(false)
	b.cluster.transition(b, tr, "connect succeeded")
}

// checkResult records an active health check.
func (b *Backend) checkResult(ok bool, t health.Thresholds) {
	b.hmu.Lock()
	tr := b.health.CheckResult(ok, t)
	b.publishLocked()
	b.hmu.Unlock()
	b.cluster.transition(b, tr, "health check")
}

// checkRemoved forgets the active check's verdict.
func (b *Backend) checkRemoved() {
	b.hmu.Lock()
	tr := b.health.CheckRemoved()
	b.publishLocked()
	b.hmu.Unlock()
	b.cluster.transition(b, tr, "health check removed")
}

// publishLocked mirrors the health state into the atomics. b.hmu is held.
func (b *Backend) publishLocked() {
	b.status.Store(uint32(b.health.Status()))
	var at int64
	if t := b.health.RetryAt(); !t.IsZero() {
		at = t.UnixNano()
	}
	b.retryAt.Store(at)
	b.checkDown.Store(b.health.HeldByCheck())
}

// transition reports a change of a backend's status: a log line, an event
// for up and down, and the cluster's availability.
func (c *Cluster) transition(b *Backend, tr health.Transition, reason string) {
	if !tr.Changed() {
		return
	}
	c.env.Log.Info("backend health", "cluster", c.ID, "backend", b.Config.ID, "address", b.Addr,
		"from", tr.From.String(), "to", tr.To.String(), "reason", reason)
	switch {
	case tr.To == health.Down:
		b.closeIdle() // connections to a failing server are suspect
		c.env.Events(c.env.event(order.BackendDown, c.ID, b, reason))
		c.startRecovery(b)
	case tr.From == health.Down:
		c.env.Events(c.env.event(order.BackendUp, c.ID, b, reason))
	}
	c.checkAvailability()
}

// checkAvailability emits ClusterDown when no backend of the cluster is
// usable (all down) and ClusterRecovered when one is again, and sets the
// cluster's backends up and down gauges.
func (c *Cluster) checkAvailability() {
	all := c.set.Load().all
	var nDown, nChecked int64
	for _, b := range all {
		if b.Status() == health.Down {
			nDown++
			if b.checkDown.Load() {
				nChecked++
			}
		}
	}
	down := len(all) > 0 && nDown == int64(len(all))
	hc := c.settings.Load().HealthCheck
	open := down && nChecked == nDown && hc != nil && hc.FailOpen
	if c.failOpen.Swap(open) != open {
		if open {
			c.env.Log.Warn("every backend fails its health check: failing open, using them all", "cluster", c.ID)
		} else {
			c.env.Log.Info("fail-open over", "cluster", c.ID)
		}
	}
	c.amu.Lock()
	defer c.amu.Unlock()
	if c.M != nil {
		c.M.BackendsUp.Set(int64(len(all)) - nDown)
		c.M.BackendsDown.Set(nDown)
	}
	if down == c.down {
		return
	}
	c.down = down
	if down {
		c.env.Log.Error("cluster has no usable backend", "cluster", c.ID)
		c.env.Events(c.env.event(order.ClusterDown, c.ID, nil, "every backend is down"))
	} else {
		c.env.Log.Info("cluster recovered", "cluster", c.ID)
		c.env.Events(c.env.event(order.ClusterRecovered, c.ID, nil, ""))
	}
}
