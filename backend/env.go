package backend

import (
	"log/slog"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
)

// Env is what the clusters of one proxy share: where events go, the clock
// health decisions use, and the logger. The zero value (or nil) means no
// events, time.Now and slog.Default().
type Env struct {
	// Events receives backend and cluster events. It must not block: it is
	// called on the data path and by health checks.
	Events func(order.Event)
	// Now is the clock of health decisions; tests inject a fake one.
	Now func() time.Time
	// Log receives health transitions.
	Log *slog.Logger
	// Health is the passive health policy of every cluster.
	Health health.Policy
	// Resolver resolves the host names of backend addresses; nil means
	// net.DefaultResolver. ResolveInterval is how often they are resolved
	// again; zero means DefaultResolveInterval (see resolve.go).
	Resolver        Resolver
	ResolveInterval time.Duration
}

func (e *Env) withDefaults() *Env {
	out := Env{}
	if e != nil {
		out = *e
	}
	if out.Events == nil {
		out.Events = func(order.Event) {}
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	if out.Log == nil {
		out.Log = slog.Default()
	}
	return &out
}

// event builds an event stamped with the Env's clock.
func (e *Env) event(kind order.EventKind, clusterID string, b *Backend, reason string) order.Event {
	ev := order.Event{Kind: kind, Time: e.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		ClusterID: clusterID, Reason: reason}
	if b != nil {
		ev.BackendID, ev.Address = b.Config.ID, b.Addr
	}
	return ev
}
