package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/internal/etcdtest"
	"github.com/sluiceproxy/sluice/internal/fleettest"
	"github.com/sluiceproxy/sluice/order"
)

const prefix = "/test/"

var layout = fleet.NewLayout(prefix)

// startEtcd runs an embedded etcd for the test.
func startEtcd(t *testing.T) *etcdtest.Server {
	t.Helper()
	e, err := etcdtest.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// etcdClient is a client of e for the test's own reads and writes.
func etcdClient(t *testing.T, e *etcdtest.Server) *clientv3.Client {
	t.Helper()
	cli, err := fleet.Dial(fleet.ClientConfig{Endpoints: []string{e.Endpoint()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// sharedAddr reserves a loopback address for the fleet's listener key; no
// instance binds it (each has its own socket for it), and the test holds
// it so that nothing else does.
func sharedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// startInstances starts n instances serving the listener shared.
func startInstances(t *testing.T, e *etcdtest.Server, n int, shared string) []*fleettest.Instance {
	t.Helper()
	var out []*fleettest.Instance
	for i := range n {
		in, err := fleettest.Start(fleettest.Options{Endpoint: e.Endpoint(), Prefix: prefix,
			ID: fmt.Sprintf("i%d", i+1), Listen: []string{shared}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := in.Stop(); err != nil {
				t.Errorf("instance %s: %v", in.ID, err)
			}
		})
		out = append(out, in)
	}
	return out
}

// origin is a real HTTP server answering its name and the Host asked.
func origin(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", name, r.Host)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// put writes raw values (no check: what an operator's etcdctl would do)
// and returns the revision.
func put(t *testing.T, cli *clientv3.Client, kvs map[string]string) int64 {
	t.Helper()
	var ops []clientv3.Op
	for k, v := range kvs {
		if v == "" {
			ops = append(ops, clientv3.OpDelete(k))
		} else {
			ops = append(ops, clientv3.OpPut(k, v))
		}
	}
	resp, err := cli.Txn(context.Background()).Then(ops...).Commit()
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// baseFleet writes a listener on shared, clusters a and b with one
// backend each, and a frontend www.test to a.
func baseFleet(t *testing.T, cli *clientv3.Client, shared, originA, originB string) int64 {
	return put(t, cli, map[string]string{
		layout.Key(fleet.Listeners, shared): `{"protocol":"http","active":true}`,
		layout.Key(fleet.Clusters, "a"):     `{}`,
		layout.Key(fleet.Clusters, "b"):     `{}`,
		layout.Key(fleet.Backends, "a/a1"):  fmt.Sprintf(`{"address":%q}`, originA),
		layout.Key(fleet.Backends, "b/b1"):  fmt.Sprintf(`{"address":%q}`, originB),
		layout.Key(fleet.Frontends, "www"):  fmt.Sprintf(`{"address":%q,"hostname":"www.test","cluster_id":"a"}`, shared),
	})
}

var httpClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 8}}

// get asks addr for host and returns the status and body.
func get(addr, host string) (int, string, error) {
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = host
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// dump is an instance's running configuration as JSON.
func dump(t *testing.T, in *fleettest.Instance) string {
	t.Helper()
	resp, err := in.Client.Do(context.Background(), order.DumpState{})
	if err != nil || resp.Content == nil || resp.Content.State == nil {
		t.Fatalf("dump: %v %+v", err, resp)
	}
	b, _ := json.Marshal(resp.Content.State)
	return string(b)
}

// want is the configuration etcd holds now, as instances dump it.
func want(t *testing.T, cli *clientv3.Client) (string, int64) {
	t.Helper()
	resp, err := cli.Get(context.Background(), layout.State(), clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	kvs := map[string][]byte{}
	for _, kv := range resp.Kvs {
		kvs[string(kv.Key)] = kv.Value
	}
	d, err := fleet.Build(layout, kvs)
	if err != nil {
		t.Fatal(err)
	}
	st := d.State.Dump()
	st.OmitKeys()
	b, _ := json.Marshal(st)
	return string(b), resp.Header.Revision
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
