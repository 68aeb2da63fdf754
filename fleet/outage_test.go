package fleet_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/order"
)

// TestEtcdOutageUnderLoad: etcd stops for 2 s while clients send
// requests to three instances: no request fails, every instance reports
// etcd unreachable (status, event), and a change written right after etcd
// is back is served by all of them.
func TestEtcdOutageUnderLoad(t *testing.T) {
	e := startEtcd(t)
	cli := etcdClient(t, e)
	shared := sharedAddr(t)
	a, b := origin(t, "a"), origin(t, "b")
	rev := baseFleet(t, cli, shared, a, b)
	ins := startInstances(t, e, 3, shared)
	var events []<-chan order.Event
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, in := range ins {
		if err := in.WaitRevision(rev, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		events = append(events, in.Client.Subscribe(ctx))
	}

	// Load: 2 clients, each asking the instances in turn, until stopped
	// (at most 60 s or 200 000 requests).
	var sent, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(60 * time.Second)
			for i := 0; i < 50_000 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				time.Sleep(time.Millisecond) // about 1 000 requests a second each
				in := ins[(c+i)%len(ins)]
				code, body, err := get(in.Addr(shared), "www.test")
				sent.Add(1)
				if err != nil || code != 200 || body != "a www.test" {
					failed.Add(1)
					t.Logf("request to %s failed: %d %q %v", in.ID, code, body, err)
				}
			}
		}()
	}

	time.Sleep(300 * time.Millisecond)
	t0 := time.Now()
	e.Stop()
	t.Logf("etcd stopped in %v", time.Since(t0))
	for _, in := range ins {
		waitFor(t, in.ID+" reports etcd unreachable", 10*time.Second, func() bool { return !in.Follower.Status().Connected })
	}
	t.Logf("all saw it unreachable %v after the stop began", time.Since(t0))
	time.Sleep(2 * time.Second)
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	t.Logf("etcd started again in %v", back.Sub(t0))
	rev = put(t, cli, map[string]string{layout.Key(fleet.Frontends, "new"): fmt.Sprintf(
		`{"address":%q,"hostname":"new.test","cluster_id":"b"}`, shared)})
	written := time.Since(back)
	for _, in := range ins {
		if err := in.WaitRevision(rev, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("etcd took the write %v after its start; every instance served it %v after its start", written, time.Since(back))
	time.Sleep(200 * time.Millisecond) // load after the change too
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed", failed.Load(), sent.Load())
	}
	t.Logf("%d requests, none failed", sent.Load())
	for i, in := range ins {
		if code, body, err := get(in.Addr(shared), "new.test"); err != nil || code != 200 || body != "b new.test" {
			t.Fatalf("instance %s: %d %q %v", in.ID, code, body, err)
		}
		waitFor(t, in.ID+" connected again", 10*time.Second, func() bool { return in.Follower.Status().Connected })
		if st := in.Follower.Status(); st.Outages != 1 {
			t.Errorf("instance %s: %d outages counted, want 1", in.ID, st.Outages)
		}
		seen := map[order.EventKind]bool{}
		for len(events[i]) > 0 {
			seen[(<-events[i]).Kind] = true
		}
		if !seen[order.FleetUnreachable] || !seen[order.FleetReconnected] {
			t.Errorf("instance %s: events %v, want fleet_unreachable and fleet_reconnected", in.ID, seen)
		}
	}
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, d)
		}
	}
}
