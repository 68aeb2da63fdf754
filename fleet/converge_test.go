package fleet_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/fleet"
)

// TestThreeInstancesConverge: three instances follow one etcd; 1 000
// changes are written (frontends added, moved between clusters, removed;
// a backend's weight changed), each its own revision, as fast as etcd
// takes them; every instance ends with etcd's configuration, and serves
// it.
func TestThreeInstancesConverge(t *testing.T) {
	e := startEtcd(t)
	cli := etcdClient(t, e)
	shared := sharedAddr(t)
	a, b := origin(t, "a"), origin(t, "b")
	baseFleet(t, cli, shared, a, b)
	ins := startInstances(t, e, 3, shared)

	start := time.Now()
	var last int64
	for i := range 1000 {
		n := i % 20
		kv := map[string]string{}
		switch {
		case i%10 == 9:
			kv[layout.Key(fleet.Frontends, fmt.Sprintf("f%d", (n+10)%20))] = "" // delete
		case i%10 == 4:
			kv[layout.Key(fleet.Backends, "a/a1")] = fmt.Sprintf(`{"address":%q,"weight":%d}`, a, 1+i%999)
		default:
			kv[layout.Key(fleet.Frontends, fmt.Sprintf("f%d", n))] = fmt.Sprintf(
				`{"address":%q,"hostname":"h%d.test","cluster_id":%q}`, shared, n, []string{"a", "b"}[i/20%2])
		}
		last = put(t, cli, kv)
	}
	pushed := time.Since(start)
	wantDump, _ := want(t, cli)
	for _, in := range ins {
		// The last change may delete a key that is not there: etcd then
		// makes no revision, and last is another key's (an instance's
		// record). So wait for the configuration, not the revision.
		var got string
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if got = dump(t, in); got == wantDump {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %s differs from etcd (revision %d) after 60 s:\n got %s\nwant %s", in.ID, last, got, wantDump)
			}
		}
		st := in.Follower.Status()
		if st.Refused != 0 || st.Error != "" {
			t.Fatalf("instance %s refused revisions: %+v", in.ID, st)
		}
		t.Logf("instance %s: %d batches applied for 1000 revisions", in.ID, st.Applied)
	}
	t.Logf("1000 changes written in %v; all converged %v after the first", pushed, time.Since(start))
	// And they serve it: the last write of h18 (change 998) puts it on cluster b.
	for _, in := range ins {
		code, body, err := get(in.Addr(shared), "h18.test")
		if err != nil || code != 200 || body != "b h18.test" {
			t.Fatalf("instance %s: %d %q %v", in.ID, code, body, err)
		}
	}
}
