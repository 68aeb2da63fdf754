package backend

import (
	"context"
	"time"

	"github.com/sluiceproxy/sluice/health"
)

// recoveryTimeout bounds a recovery probe's connect.
const recoveryTimeout = 3 * time.Second

// A backend down by failed connects takes no request, so nothing would
// notice it come back: a recovery probe does, by connecting at the backend's
// retry time (which keeps growing while the connects fail) until one works.
// Clusters with an active health check leave recovery to the check. The
// probe is a goroutine of the cluster, one per down backend; it ends when
// the backend is up, removed, or the cluster closes.

// startRecovery starts b's recovery probe unless one runs, b is held down
// by the check (which will bring it back), or the cluster has a check.
func (c *Cluster) startRecovery(b *Backend) {
	if c.Settings().HealthCheck != nil {
		return
	}
	b.hmu.Lock()
	defer b.hmu.Unlock()
	if b.recovering || b.health.HeldByCheck() || b.removed.Load() {
		return
	}
	b.recovering = true
	c.probes.Add(1)
	go func() {
		defer c.probes.Done()
		defer func() { b.hmu.Lock(); b.recovering = false; b.hmu.Unlock() }()
		c.recover(b)
	}()
}

// recover probes b at its retry time until it is up or gone.
func (c *Cluster) recover(b *Backend) {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stop := context.AfterFunc(b.gone, cancel) // removed: stop probing
	defer stop()
	t := time.NewTimer(0)
	defer t.Stop()
	for b.Status() == health.Down {
		b.hmu.Lock()
		wait := b.health.RetryAt().Sub(c.env.Now())
		b.hmu.Unlock()
		t.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if conn, err := b.Dial(ctx, recoveryTimeout); err == nil {
			conn.Close() // Dial recorded the success: b is up
		}
	}
}
