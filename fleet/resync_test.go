package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// recorder is an Apply that keeps the last configuration it was given.
type recorder struct {
	mu   sync.Mutex
	last state.State
	revs []int64
}

func (r *recorder) apply(_ context.Context, rev int64, orders []order.Order) error {
	s, _, err := state.New().ApplyAll(orders)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.revs = s, append(r.revs, rev)
	return nil
}

func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.last.Dump()
	d.OmitKeys()
	b, _ := json.Marshal(d)
	return string(b)
}

// TestResyncAfterCompaction: a follower away while etcd compacted the
// revisions it had not seen reads the prefix whole when it comes back,
// and ends with etcd's configuration (a deletion it never saw included).
func TestResyncAfterCompaction(t *testing.T) {
	e := startEtcd(t)
	cli := etcdClient(t, e)
	shared := sharedAddr(t)
	rev := baseFleet(t, cli, shared, "127.0.0.1:1", "127.0.0.1:2")
	rec := &recorder{}
	var events []order.Event
	f := fleet.NewFollower(fleet.FollowerConfig{Client: cli, Layout: layout, Apply: rec.apply,
		Event: func(ev order.Event) { events = append(events, ev) }})
	run := func(until int64) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			f.Run(ctx)
		}()
		defer func() { cancel(); <-done }()
		waitFor(t, fmt.Sprintf("revision %d", until), 10*time.Second, func() bool { return f.Status().Revision >= until })
	}
	run(rev)
	// Away: changes, a deletion, then a compaction of all of them.
	put(t, cli, map[string]string{layout.Key(fleet.Frontends, "x"): fmt.Sprintf(`{"address":%q,"hostname":"x.test","cluster_id":"b"}`, shared)})
	put(t, cli, map[string]string{layout.Key(fleet.Frontends, "www"): ""})
	last := put(t, cli, map[string]string{layout.Key(fleet.Backends, "b/b2"): `{"address":"127.0.0.1:3"}`})
	if _, err := cli.Compact(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	run(last)
	wantDump, _ := want(t, cli)
	if got := rec.dump(); got != wantDump {
		t.Fatalf("after the resync:\n got %s\nwant %s", got, wantDump)
	}
	if st := f.Status(); st.Resyncs != 1 {
		t.Fatalf("status %+v: want 1 resync", st)
	}
	if len(events) == 0 || events[len(events)-1].Kind != order.FleetResynced {
		t.Fatalf("events %+v: want fleet_resynced", events)
	}
}

// TestCommitCompareAndSwap: a write based on an old revision is refused
// when the prefix changed since (a deletion included); a write whose
// configuration would be refused is refused before etcd sees it; Replace
// deletes what the new configuration lacks.
func TestCommitCompareAndSwap(t *testing.T) {
	e := startEtcd(t)
	cli := etcdClient(t, e)
	ctx := context.Background()
	shared := sharedAddr(t)
	kvs := map[string][]byte{
		layout.Key(fleet.Listeners, shared): []byte(`{"protocol":"http","active":true}`),
		layout.Key(fleet.Clusters, "a"):     []byte(`{}`),
		layout.Key(fleet.Clusters, "b"):     []byte(`{}`),
	}
	w, err := fleet.Replace(ctx, cli, layout, kvs, 0)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := fleet.Commit(ctx, cli, layout, w)
	if err != nil || r1.Puts != 3 {
		t.Fatalf("%+v %v", r1, err)
	}
	// The same again changes nothing.
	if r, err := fleet.Commit(ctx, cli, layout, w); err != nil || !r.Unchanged {
		t.Fatalf("%+v %v", r, err)
	}
	// Operator 2 deletes cluster b; operator 1, who read r1, adds c.
	if _, err := fleet.Commit(ctx, cli, layout, fleet.Write{Delete: []string{layout.Key(fleet.Clusters, "b")}}); err != nil {
		t.Fatal(err)
	}
	_, err = fleet.Commit(ctx, cli, layout, fleet.Write{Revision: r1.Revision,
		Put: map[string][]byte{layout.Key(fleet.Clusters, "c"): []byte(`{}`)}})
	if !errors.Is(err, fleet.ErrConflict) {
		t.Fatalf("a write based on revision %d after a deletion: %v, want a conflict", r1.Revision, err)
	}
	// A change by hand (etcdctl) after the revision is a conflict too.
	r2, _ := cli.Get(ctx, "x")
	put(t, cli, map[string]string{layout.Key(fleet.Clusters, "d"): `{}`})
	_, err = fleet.Commit(ctx, cli, layout, fleet.Write{Revision: r2.Header.Revision,
		Put: map[string][]byte{layout.Key(fleet.Clusters, "c"): []byte(`{}`)}})
	if !errors.Is(err, fleet.ErrConflict) {
		t.Fatalf("%v, want a conflict", err)
	}
	// A frontend to a missing cluster never reaches etcd.
	_, err = fleet.Commit(ctx, cli, layout, fleet.Write{Put: map[string][]byte{layout.Key(fleet.Frontends, "f"): []byte(
		fmt.Sprintf(`{"address":%q,"hostname":"f.test","cluster_id":"nope"}`, shared))}})
	if err == nil || !contains(err.Error(), "the fleet would refuse it") {
		t.Fatalf("%v", err)
	}
	if r, _ := cli.Get(ctx, layout.Key(fleet.Frontends, "f")); len(r.Kvs) != 0 {
		t.Fatal("the refused frontend was written")
	}
	// Replace removes d, which the pushed configuration lacks.
	w, err = fleet.Replace(ctx, cli, layout, kvs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := fleet.Commit(ctx, cli, layout, w); err != nil || r.Deletes != 1 || r.Puts != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	resp, _ := cli.Get(ctx, layout.State(), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if resp.Count != 3 {
		t.Fatalf("%d keys, want 3", resp.Count)
	}
}

// TestInstancesListed: instances register under a lease with the
// revision they serve; List says how far behind each is; a stopped
// instance's record goes with its lease.
func TestInstancesListed(t *testing.T) {
	e := startEtcd(t)
	cli := etcdClient(t, e)
	shared := sharedAddr(t)
	rev := baseFleet(t, cli, shared, "127.0.0.1:1", "127.0.0.1:2")
	ins := startInstances(t, e, 3, shared)
	ctx := context.Background()
	waitFor(t, "three instances at the revision", 10*time.Second, func() bool {
		l, err := fleet.List(ctx, cli, layout)
		if err != nil || len(l.Instances) != 3 {
			return false
		}
		for _, in := range l.Instances {
			if in.Revision < rev || l.Behind(in) != 0 || in.Health != "ok" {
				return false
			}
		}
		return l.Latest == rev
	})
	if err := ins[2].Stop(); err != nil {
		t.Fatal(err)
	}
	l, err := fleet.List(ctx, cli, layout)
	if err != nil || len(l.Instances) != 2 || l.Instances[0].ID != "i1" {
		t.Fatalf("%+v %v", l, err)
	}
	// A listing says how far behind an instance is.
	l.Latest = l.Instances[0].Revision + 5
	if b := l.Behind(l.Instances[0]); b != 5 {
		t.Fatalf("behind %d", b)
	}
}
