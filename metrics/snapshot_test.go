package metrics

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

func snapshotRegistry() *Registry {
	r := NewRegistry()
	r.AddListener("b:2").Requests.Add(2)
	r.AddListener("a:1").Requests.Add(1)
	r.AddCluster("shop").Requests.Add(10)
	r.AddCluster("api").Requests.Add(20)
	r.AddBackend("shop", "s1").Requests.Add(11)
	r.AddBackend("shop", "s2").Requests.Add(12)
	r.AddBackend("api", "s1").Requests.Add(21)
	return r
}

func names(c order.MetricsContent) (ls, cs, bs []string) {
	for _, l := range c.Listeners {
		ls = append(ls, l.Address)
	}
	for _, c := range c.Clusters {
		cs = append(cs, c.ClusterID)
	}
	for _, b := range c.Backends {
		bs = append(bs, b.ClusterID+"/"+b.BackendID)
	}
	return
}

func TestSnapshotFilters(t *testing.T) {
	r := snapshotRegistry()
	for _, c := range []struct {
		f          Filter
		ls, cs, bs []string
	}{
		{Filter{}, []string{"a:1", "b:2"}, []string{"api", "shop"}, []string{"api/s1", "shop/s1", "shop/s2"}},
		{Filter{ClusterID: "shop"}, nil, []string{"shop"}, []string{"shop/s1", "shop/s2"}},
		{Filter{BackendID: "s1"}, nil, nil, []string{"api/s1", "shop/s1"}},
		{Filter{ClusterID: "shop", BackendID: "s2"}, nil, nil, []string{"shop/s2"}},
		{Filter{ClusterID: "none"}, nil, nil, nil},
	} {
		ls, cs, bs := names(r.Snapshot(c.f))
		if !slices.Equal(ls, c.ls) || !slices.Equal(cs, c.cs) || !slices.Equal(bs, c.bs) {
			t.Errorf("Snapshot(%+v) = %v %v %v, want %v %v %v", c.f, ls, cs, bs, c.ls, c.cs, c.bs)
		}
	}
}

func TestSnapshotValues(t *testing.T) {
	r := NewRegistry()
	l := r.AddListener("l")
	c := r.AddCluster("c")
	b := r.AddBackend("c", "b")
	lf := fill(t, l, 100)
	cf := fill(t, c, 200)
	bf := fill(t, b, 300)
	c2 := r.AddCluster("c2")
	for range 100 {
		c2.ResponseTime.Observe(2 * time.Millisecond)
	}

	got := r.Snapshot(Filter{})
	// Every filled scalar and histogram count appears in the wire form.
	for _, w := range []struct {
		v any
		f filled
	}{{got.Listeners[0], lf}, {got.Clusters[0], cf}, {got.Backends[0], bf}} {
		scalars, counts := wireNumbers(t, w.v)
		if !slices.Equal(scalars, w.f.scalars) {
			t.Errorf("%T numbers %v, want %v", w.v, scalars, w.f.scalars)
		}
		if len(counts) != len(w.f.hists) {
			t.Errorf("%T has %d time summaries, want %d", w.v, len(counts), len(w.f.hists))
		}
	}
	// Listener fields in order: accepted 101, active 102, requests 103,
	// responses 104-108, bytes 109-110, tunnels 111, errors 112-115.
	if got := got.Listeners[0].Errors.Timeout; got != 113 {
		t.Errorf("listener timeout errors = %d, want 113", got)
	}
	if got := got.Listeners[0].Responses.ClientError; got != 107 {
		t.Errorf("listener 4xx = %d, want 107", got)
	}
	rt := got.Clusters[1].ResponseTime
	want := order.TimeSummary{Count: 100, SumMs: 200, P50Ms: 1.75, P90Ms: 2.35, P99Ms: 2.485}
	if !reflect.DeepEqual(rt, want) {
		t.Errorf("cluster response time = %+v, want %+v", rt, want)
	}
	lt := got.Listeners[0].RequestTime
	if lt.Count != 1 || lt.SumMs != 1 {
		t.Errorf("listener request time = %+v, want 1 observation of 1ms", lt)
	}

	j, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"connections_accepted":101`, `"2xx":`, `"p99_ms":2.485`, `"cluster_id":"c"`, `"backend_id":"b"`, `"tls_handshake_failures":`} {
		if !strings.Contains(string(j), key) {
			t.Errorf("JSON lacks %s: %s", key, j)
		}
	}
}

// wireNumbers returns, in field order, the int64 numbers of a wire struct
// outside its time summaries, and the counts of its time summaries.
func wireNumbers(t *testing.T, v any) (scalars, counts []int64) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// JSON objects lose field order: sort, as fill's values increase in
	// field order and the wire form keeps every one of them.
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		if _, ok := m["p50_ms"]; ok {
			counts = append(counts, int64(m["count"].(float64)))
			return
		}
		for _, v := range m {
			switch v := v.(type) {
			case float64:
				scalars = append(scalars, int64(v))
			case map[string]any:
				walk(v)
			}
		}
	}
	walk(m)
	slices.Sort(scalars)
	return scalars, counts
}
