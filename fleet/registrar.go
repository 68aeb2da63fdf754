package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/order"
)

// Instance is one instance's record under PREFIX/instances/ID, kept while
// its lease lives (TTL 10 s, renewed every few seconds): an instance that
// stops, or cannot reach etcd for longer, disappears from the list.
type Instance struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	// Revision is the etcd revision whose configuration it serves; Seen
	// the last it read (later when that one was refused).
	Revision int64 `json:"revision"`
	Seen     int64 `json:"seen"`
	// Health is "ok", or "refused" when revision Seen was refused (Error
	// says why).
	Health  string `json:"health"`
	Error   string `json:"error,omitempty"`
	Started string `json:"started"` // RFC 3339, UTC
}

// RegistrarConfig is what a Registrar needs.
type RegistrarConfig struct {
	Client  *clientv3.Client
	Layout  Layout
	ID      string
	Version string
	// Status is the follower's (Follower.Status).
	Status func() order.FleetStatus
	// TTL is the lease's; default 10 s. Every is how often the record is
	// checked, and written when it changed; default 250 ms.
	TTL, Every time.Duration
	Logger     *slog.Logger
}

// Register keeps this instance's record under a lease until ctx ends, then
// revokes the lease (the record goes at once). The record is written when
// the follower's status changed, checked every Every. A lease lost
// (etcd away longer than its TTL) is granted again when etcd is back.
func Register(ctx context.Context, c RegistrarConfig) {
	if c.TTL <= 0 {
		c.TTL = 10 * time.Second
	}
	if c.Every <= 0 {
		c.Every = 250 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	started := time.Now().UTC().Format(time.RFC3339)
	for ctx.Err() == nil {
		err := c.session(ctx, started)
		if ctx.Err() != nil {
			return
		}
		c.Logger.Debug("fleet: the instance's lease ended; granting another", "error", err)
		sleep(ctx, c.Every)
	}
}

// session is one lease: granted, kept alive, the record written under it.
func (c RegistrarConfig) session(ctx context.Context, started string) error {
	gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	lease, err := c.Client.Grant(gctx, int64(c.TTL/time.Second))
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_, _ = c.Client.Revoke(rctx, lease.ID)
	}()
	kctx, kcancel := context.WithCancel(ctx)
	defer kcancel()
	alive, err := c.Client.KeepAlive(kctx, lease.ID)
	if err != nil {
		return err
	}
	var last []byte
	tick := time.NewTicker(c.Every)
	defer tick.Stop()
	for {
		if rec := c.record(started); string(rec) != string(last) {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.Client.Put(wctx, c.Layout.Instance(c.ID), string(rec), clientv3.WithLease(lease.ID))
			cancel()
			if err == nil {
				last = rec
			} else if ctx.Err() == nil {
				c.Logger.Debug("fleet: writing the instance's record failed", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-alive:
			if !ok {
				return errors.New("lease lost")
			}
		case <-tick.C:
		}
	}
}

func (c RegistrarConfig) record(started string) []byte {
	st := c.Status()
	in := Instance{ID: c.ID, Version: c.Version, Revision: st.Revision, Seen: st.Seen, Health: "ok",
		Error: st.Error, Started: started}
	if st.Error != "" {
		in.Health = "refused"
	}
	b, _ := json.Marshal(in)
	return b
}

// Listing is the instances of a fleet and the revision they should serve.
type Listing struct {
	// Latest is the revision of the last change under PREFIX/state/ (or of
	// PREFIX/meta/written: a deletion with sluice fleet).
	Latest    int64
	Instances []Instance // by id
}

// Behind is how many revisions in instance i's past the latest change
// is: 0 when it serves the latest configuration.
func (l Listing) Behind(i Instance) int64 { return max(0, l.Latest-i.Revision) }

// List reads the instances' records and the latest change.
func List(ctx context.Context, cli *clientv3.Client, l Layout) (Listing, error) {
	var out Listing
	resp, err := cli.Get(ctx, l.Instances(), clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return out, err
	}
	for _, kv := range resp.Kvs {
		var in Instance
		if err := json.Unmarshal(kv.Value, &in); err != nil {
			in = Instance{ID: string(kv.Key[len(l.Instances()):]), Health: "unreadable record", Error: err.Error()}
		}
		out.Instances = append(out.Instances, in)
	}
	for _, key := range []string{l.State(), l.Written()} {
		opts := []clientv3.OpOption{clientv3.WithKeysOnly(), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortDescend),
			clientv3.WithLimit(1)}
		if key == l.State() {
			opts = append(opts, clientv3.WithPrefix())
		}
		r, err := cli.Get(ctx, key, opts...)
		if err != nil {
			return out, err
		}
		for _, kv := range r.Kvs {
			out.Latest = max(out.Latest, kv.ModRevision)
		}
	}
	return out, nil
}
