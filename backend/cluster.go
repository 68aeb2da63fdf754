package backend

import (
	"context"
	"crypto/tls"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/rewrite"
)

// Settings is an immutable snapshot of a cluster's configuration.
type Settings struct {
	order.Cluster
	// Answers are the cluster's own default answers (nil: none).
	Answers *answer.Set
	// HSTS is the cluster's Strict-Transport-Security header line (CRLF
	// included), or nil: sent on https listeners instead of theirs.
	HSTS []byte

	// Policy is the cluster's traffic policy (policy-guard); nil when it
	// has none.
	Policy *Policy
	// Routing and rewrites (issue 16, policy-route).

	// Request and Response are the cluster's compiled header edits (nil:
	// none).
	Request, Response *rewrite.Edits

	// TLS is the TLS client configuration of the backends' connections
	// (NewTLSConfig of the cluster's TLS), or nil: plain TCP.
	TLS *tls.Config
}

// Cluster is the runtime side of a cluster: its settings and backends.
// Its methods are safe for concurrent use; only the proxy's loop calls the
// mutating ones (SetSettings, Add, Remove, Close).
type Cluster struct {
	ID string
	// M counts the cluster's traffic; nil when the proxy keeps no metrics.
	// Set before the cluster is published.
	M        *metrics.Cluster
	env      *Env
	policy   health.Policy
	settings atomic.Pointer[Settings]
	set      atomic.Pointer[backendSet]
	rr       atomic.Uint64 // round-robin position
	// failOpen is set while every backend is held down by a failing
	// health check whose fail_open is set: they are all used anyway.
	failOpen atomic.Bool

	amu  sync.Mutex
	down bool // every backend is down (the ClusterDown event was sent)

	check *checker // the running health check, or nil; the proxy loop's

	// ctx ends when the cluster closes; probes counts its recovery probes.
	ctx    context.Context
	cancel context.CancelFunc
	probes sync.WaitGroup
}

// NewCluster returns an empty cluster with the settings. env may be nil.
// When the settings have a health check, it starts running; Close stops it.
func NewCluster(s *Settings, env *Env) *Cluster {
	c := &Cluster{ID: s.ID, env: env.withDefaults()}
	c.policy = c.env.Health
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.settings.Store(s)
	c.set.Store(newBackendSet(nil))
	c.restartCheck(nil, s.HealthCheck)
	return c
}

// Settings returns the current settings.
func (c *Cluster) Settings() *Settings { return c.settings.Load() }

// SetSettings publishes new settings; requests in flight keep the old ones.
// New TLS settings close the idle connections made under the old ones.
// A changed health check restarts; a removed one releases the backends it
// held down.
func (c *Cluster) SetSettings(s *Settings) {
	old := c.settings.Swap(s)
	c.tlsChanged(old, s)
	if !reflect.DeepEqual(old.HealthCheck, s.HealthCheck) {
		c.restartCheck(old.HealthCheck, s.HealthCheck)
		c.checkAvailability() // fail_open may have changed
	}
}

// Backends returns the current backends (primary then backup, each in the
// order added). The slice must not be modified.
func (c *Cluster) Backends() []*Backend { return c.set.Load().all }

// Add publishes a new backend list with b. The caller has checked that no
// backend with b's id exists. When b's address names a host (SetResolved
// was given its addresses), the cluster resolves it again every
// Env.ResolveInterval until b is removed or the cluster closes.
func (c *Cluster) Add(b *Backend) {
	b.cluster = c
	old := c.set.Load().all
	all := make([]*Backend, 0, len(old)+1)
	all = append(append(all, old...), b)
	c.set.Store(newBackendSet(all))
	c.checkAvailability()
	c.watchAddrs(b)
}

// watchAddrs keeps the addresses of b current when its address names a
// host, in a goroutine of the cluster's until b is removed or the cluster
// closes.
func (c *Cluster) watchAddrs(b *Backend) {
	if b.Resolved() != nil {
		c.probes.Add(1)
		go func() { defer c.probes.Done(); c.refreshAddrs(c.ctx, b) }()
	}
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
	c.checkAvailability()
	return gone
}

// Close stops the health check and removes every backend (the cluster
// itself was removed).
func (c *Cluster) Close() {
	c.restartCheck(nil, nil)
	c.cancel()
	old := c.set.Swap(newBackendSet(nil))
	for _, b := range old.all {
		b.remove()
	}
	c.probes.Wait()
}

// Pick chooses a backend for a new request with the cluster's algorithm:
// among the usable primary backends other than skip (the one a retry just
// failed on), else among the usable backups. It returns nil when none is
// usable. When trial is set, the backend is recovering from failures and
// the caller holds its one trial: it must Dial (not reuse a pooled
// connection), and the dial's outcome decides the backend's health. Pick
// allocates nothing.
func (c *Cluster) Pick(skip *Backend) (b *Backend, trial bool) {
	return c.PickHash(skip, 0, false)
}

// PickHash is Pick for a request whose key hashed to h (when hashed is
// set): a maglev cluster picks the backend of h in its table (see
// maglev.go); the others ignore it. A maglev cluster given no hash picks
// by round robin.
func (c *Cluster) PickHash(skip *Backend, h uint64, hashed bool) (b *Backend, trial bool) {
	s := c.set.Load()
	alg := c.settings.Load().LoadBalancing
	if alg == order.Maglev && !hashed {
		alg = order.RoundRobin
	}
	if c.failOpen.Load() {
		// Every backend failed its check: use them all as if none were
		// checked (health_check.fail_open).
		return c.pickOpen(s, alg, skip, h), false
	}
	for range 3 { // another request may win a trial between pick and claim
		b = s.primary.pickBy(alg, &c.rr, skip, c.env.Now, h)
		if b == nil {
			b = s.backup.pickBy(alg, &c.rr, skip, c.env.Now, h)
		}
		if b == nil {
			return nil, false
		}
		if ok, trial := b.claim(); ok {
			return b, trial
		}
	}
	return nil, false
}

// PickSticky returns the backend whose sticky id is id, if it is usable
// (see Pick for trial), or nil.
func (c *Cluster) PickSticky(id []byte) (b *Backend, trial bool) {
	b = c.set.Load().bySticky[string(id)]
	if b == nil || !b.eligible(c.env.Now) {
		return nil, false
	}
	if ok, trial := b.claim(); ok {
		return b, trial
	}
	return nil, false
}
