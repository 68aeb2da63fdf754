package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/order"
)

// Apply makes the running configuration the one orders build (a reload's
// target), as one batch, all or nothing; rev is the etcd revision it is
// from. An error means nothing changed.
type Apply func(ctx context.Context, rev int64, orders []order.Order) error

// FollowerConfig is what a Follower needs.
type FollowerConfig struct {
	Client *clientv3.Client // owned by the caller
	Layout Layout
	Apply  Apply
	// Logger receives the follower's lines; nil: none.
	Logger *slog.Logger
	// Event is told of refusals, outages, reconnections and resyncs
	// (order.Fleet* events); nil: no one. Called from Run's goroutines.
	Event func(order.Event)
	// Probe is how often etcd's reachability is checked; default 500 ms.
	// A probe waits at most twice that, and at least 1 s.
	Probe time.Duration
	// Diagnose, when set, names the cause of a request that etcd left
	// unanswered (ClientConfig.Diagnose: a certificate refused, a port
	// closed); the client itself says only that time ran out.
	Diagnose func(context.Context) error
}

// Follower keeps a proxy's configuration equal to what etcd holds under a
// prefix: it reads the prefix once, then watches it from the next
// revision, and applies each watch response's configuration (the state at
// its last revision: a response that carries several revisions skips the
// ones between, never applies half of one). A revision that Build or
// Apply refuses changes nothing; the next one is tried whole. When the
// watch has to start again (etcd away, then back), it resumes from the
// last revision seen; when that revision was compacted, the prefix is
// read whole again.
type Follower struct {
	cfg FollowerConfig

	// kv mirrors the prefix at seen; only Run's loop touches it.
	kv     map[string][]byte
	resync bool

	mu sync.Mutex
	st order.FleetStatus
	// changed is closed and replaced when st changes (Wait).
	changed chan struct{}
}

// NewFollower returns a follower; Run starts it.
func NewFollower(cfg FollowerConfig) *Follower {
	if cfg.Probe <= 0 {
		cfg.Probe = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Follower{cfg: cfg, resync: true, changed: make(chan struct{})}
}

// Status returns how the follower is doing. Safe for concurrent use.
func (f *Follower) Status() order.FleetStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

// Changed returns a channel closed at the next change of Status.
func (f *Follower) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *Follower) update(fn func(st *order.FleetStatus)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.st)
	close(f.changed)
	f.changed = make(chan struct{})
}

// Run follows etcd until ctx ends, and returns then, its goroutines
// ended. It may be called again after it returns (one Run at a time): it
// goes on from the revision it had.
func (f *Follower) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.probe(ctx)
	}()
	for ctx.Err() == nil {
		if f.resync {
			if err := f.read(ctx); err != nil {
				if ctx.Err() == nil {
					f.cfg.Logger.Warn("fleet: reading etcd failed; the last configuration keeps serving",
						"prefix", f.cfg.Layout.State(), "error", err)
				}
				sleep(ctx, f.cfg.Probe)
				continue
			}
		}
		f.watch(ctx)
		sleep(ctx, 50*time.Millisecond)
	}
}

// read takes the whole prefix and applies it.
func (f *Follower) read(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := f.cfg.Client.Get(rctx, f.cfg.Layout.State(), clientv3.WithPrefix())
	if err != nil {
		return f.cause(ctx, err)
	}
	f.kv = make(map[string][]byte, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		f.kv[string(kv.Key)] = kv.Value
	}
	first := f.Status().Seen == 0
	f.resync = false
	rev := resp.Header.Revision
	if !first {
		f.update(func(st *order.FleetStatus) { st.Resyncs++ })
		f.cfg.Logger.Warn("fleet: the revisions missed were compacted; read the prefix again", "revision", rev)
		f.event(order.Event{Kind: order.FleetResynced, Revision: rev})
	}
	f.apply(ctx, rev)
	return nil
}

// watch follows the prefix from the revision after the last seen, until
// the watch ends (ctx, a compaction, an error).
func (f *Follower) watch(ctx context.Context) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	from := f.Status().Seen + 1
	wch := f.cfg.Client.Watch(clientv3.WithRequireLeader(wctx), f.cfg.Layout.State(),
		clientv3.WithPrefix(), clientv3.WithRev(from))
	for wr := range wch {
		if wr.CompactRevision != 0 {
			f.cfg.Logger.Warn("fleet: the watch's revision was compacted", "from", from, "compacted", wr.CompactRevision)
			f.resync = true
			return
		}
		if err := wr.Err(); err != nil {
			if ctx.Err() == nil {
				f.cfg.Logger.Warn("fleet: the watch ended; it starts again from the last revision",
					"revision", f.Status().Seen, "error", err)
			}
			return
		}
		if len(wr.Events) == 0 {
			continue
		}
		for _, ev := range wr.Events {
			if ev.Type == clientv3.EventTypeDelete {
				delete(f.kv, string(ev.Kv.Key))
			} else {
				f.kv[string(ev.Kv.Key)] = ev.Kv.Value
			}
		}
		f.apply(ctx, wr.Events[len(wr.Events)-1].Kv.ModRevision)
	}
}

// apply builds the configuration of f.kv, at rev, and applies it.
func (f *Follower) apply(ctx context.Context, rev int64) {
	d, err := Build(f.cfg.Layout, f.kv)
	if err == nil {
		err = f.cfg.Apply(ctx, rev, d.Orders)
	}
	if err != nil && ctx.Err() != nil {
		return // stopping: not a refusal
	}
	f.update(func(st *order.FleetStatus) {
		st.Seen = rev
		if err != nil {
			st.Error = err.Error()
			st.Refused++
			return
		}
		st.Revision, st.Error = rev, ""
		st.Applied++
	})
	if err != nil {
		f.cfg.Logger.Error("fleet: revision refused; the last good configuration keeps serving",
			"revision", rev, "serving", f.Status().Revision, "error", err)
		f.event(order.Event{Kind: order.FleetRefused, Revision: rev, Reason: err.Error()})
		return
	}
	f.cfg.Logger.Debug("fleet: revision applied", "revision", rev)
}

// probe asks etcd for one key every Probe, and reports when the answers
// stop and start again.
func (f *Follower) probe(ctx context.Context) {
	wait := max(2*f.cfg.Probe, time.Second)
	t := time.NewTicker(f.cfg.Probe)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, wait)
		_, err := f.cfg.Client.Get(pctx, f.cfg.Layout.Written(), clientv3.WithCountOnly())
		cancel()
		if err != nil {
			err = f.cause(ctx, err)
		}
		if ctx.Err() != nil {
			return
		}
		up := err == nil
		var was order.FleetStatus
		f.update(func(st *order.FleetStatus) {
			was = *st
			st.Unreachable = errText(err)
			if st.Connected != up || st.Since == "" {
				st.Connected, st.Since = up, time.Now().UTC().Format(time.RFC3339)
				if !up && was.Since != "" {
					st.Outages++
				}
			}
		})
		switch {
		case was.Since == "" && !up:
			f.cfg.Logger.Warn("fleet: etcd does not answer; the configuration of the start keeps serving",
				"error", errText(err))
		case was.Connected && !up:
			f.cfg.Logger.Warn("fleet: etcd unreachable; the last configuration keeps serving",
				"revision", was.Revision, "error", err)
			f.event(order.Event{Kind: order.FleetUnreachable, Revision: was.Revision, Reason: errText(err)})
		case !was.Connected && up && was.Since != "":
			f.cfg.Logger.Info("fleet: etcd answers again; catching up", "revision", was.Seen)
			f.event(order.Event{Kind: order.FleetReconnected, Revision: was.Seen})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (f *Follower) event(ev order.Event) {
	if f.cfg.Event != nil {
		f.cfg.Event(ev)
	}
}

// cause adds the diagnosis of Diagnose to a request's timeout.
func (f *Follower) cause(ctx context.Context, err error) error {
	if f.cfg.Diagnose == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// At most half a second more: an etcd cut off by a partition (no
	// answer to a connect either) is reported about as soon as without.
	dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if d := f.cfg.Diagnose(dctx); d != nil {
		return fmt.Errorf("no answer in time: %w", d)
	}
	return err
}

func errText(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
