package fleet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/order"
)

// TestBadValuesRefused: a value that is not JSON, then a frontend to a
// missing cluster, are refused for their revision with the key and the
// reason in the status and an event; the last good configuration keeps
// serving; the next good revision applies.
func TestBadValuesRefused(t *testing.T) {
	e := startEtcd(t)
	cli := etcdClient(t, e)
	shared := sharedAddr(t)
	rev := baseFleet(t, cli, shared, origin(t, "a"), origin(t, "b"))
	in := startInstances(t, e, 1, shared)[0]
	if err := in.WaitRevision(rev, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	rev = in.Follower.Status().Revision // read at start: later than the write when an instance registered between
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := in.Client.Subscribe(ctx)
	good := dump(t, in)

	for _, bad := range []struct{ key, value, reason string }{
		{layout.Key(fleet.Clusters, "c"), `{"load_balancing": `, "invalid JSON"},
		{layout.Key(fleet.Frontends, "www"), fmt.Sprintf(`{"address":%q,"hostname":"www.test","cluster_id":"missing"}`, shared), `"missing"`},
	} {
		badRev := put(t, cli, map[string]string{bad.key: bad.value})
		waitFor(t, "the refusal of "+bad.key, 10*time.Second, func() bool { return in.Follower.Status().Seen == badRev })
		st := in.Follower.Status()
		if st.Revision != rev || !strings.Contains(st.Error, bad.key) || !strings.Contains(st.Error, bad.reason) {
			t.Fatalf("status %+v: want revision %d serving and an error naming %s and %s", st, rev, bad.key, bad.reason)
		}
		ev := nextEvent(t, events, order.FleetRefused)
		if ev.Revision != badRev || ev.Reason != st.Error {
			t.Fatalf("event %+v", ev)
		}
		if got := dump(t, in); got != good {
			t.Fatalf("the configuration changed after a refused revision:\n%s", got)
		}
		if code, body, err := get(in.Addr(shared), "www.test"); err != nil || code != 200 || body != "a www.test" {
			t.Fatalf("the last good configuration does not serve: %d %q %v", code, body, err)
		}
		// Mending the value makes the next revision good again.
		rev = put(t, cli, map[string]string{bad.key: ""})
		if bad.key == layout.Key(fleet.Frontends, "www") {
			rev = put(t, cli, map[string]string{bad.key: fmt.Sprintf(`{"address":%q,"hostname":"www.test","cluster_id":"b"}`, shared)})
		}
		if err := in.WaitRevision(rev, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if st := in.Follower.Status(); st.Error != "" || st.Seen != rev {
			t.Fatalf("status after the repair: %+v", st)
		}
		good = dump(t, in)
	}
	if code, body, err := get(in.Addr(shared), "www.test"); err != nil || code != 200 || body != "b www.test" {
		t.Fatalf("after the repair: %d %q %v", code, body, err)
	}
	if st := in.Follower.Status(); st.Refused != 2 {
		t.Fatalf("refused %d revisions, want 2", st.Refused)
	}
}

// nextEvent returns the next event of the kind, skipping others.
func nextEvent(t *testing.T, events <-chan order.Event, kind order.EventKind) order.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}
