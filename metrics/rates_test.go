package metrics

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// buckets returns histogram buckets with n observations in bucket i.
func buckets(counts map[int]int64) []int64 {
	b := make([]int64, NumBuckets)
	for i, n := range counts {
		b[i] = n
	}
	return b
}

// boundsMs is a metrics answer's BucketBoundsMs.
func boundsMs() []float64 {
	b := make([]float64, NumBounds)
	for i, d := range bounds {
		b[i] = ms(d)
	}
	return b
}

func TestRates(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	prev := &order.MetricsContent{
		BucketBoundsMs: boundsMs(),
		Listeners: []order.ListenerMetrics{{Address: "a", Requests: 100, Responses: order.StatusClasses{Success: 100},
			RequestTime: order.TimeSummary{Buckets: buckets(map[int]int64{4: 100})}}},
		Clusters: []order.ClusterMetrics{{ClusterID: "shop", Requests: 100, Responses: order.StatusClasses{Success: 100},
			RequestTime: order.TimeSummary{Buckets: buckets(map[int]int64{4: 100})}}},
		Backends: []order.BackendMetrics{{ClusterID: "shop", BackendID: "s1", Requests: 500}},
	}
	cur := &order.MetricsContent{
		BucketBoundsMs: boundsMs(),
		Listeners: []order.ListenerMetrics{
			{Address: "a", ConnectionsActive: 3, Requests: 300, Responses: order.StatusClasses{Success: 250, ServerError: 50},
				RequestTime: order.TimeSummary{Buckets: buckets(map[int]int64{4: 100, 8: 200})}},
			{Address: "b", ConnectionsActive: 2}, // added since
		},
		Clusters: []order.ClusterMetrics{{ClusterID: "shop", Requests: 300, Responses: order.StatusClasses{Success: 250, ServerError: 50},
			BackendsUp: 1, BackendsDown: 1, RequestTime: order.TimeSummary{Buckets: buckets(map[int]int64{4: 100, 8: 200})}}},
		Backends: []order.BackendMetrics{
			{ClusterID: "shop", BackendID: "s1", Requests: 10, InFlight: 2, // removed and added again: from zero
				Responses: order.StatusClasses{Success: 10}, ResponseTime: order.TimeSummary{Buckets: buckets(map[int]int64{0: 10})}},
			{ClusterID: "shop", BackendID: "s2"},
		},
	}
	r := Rates(prev, cur, 2*time.Second, now)
	if r.Time != "2026-12-03T10:00:00.000Z" || r.IntervalSeconds != 2 || r.Connections != 5 {
		t.Errorf("header %+v", r)
	}
	if r.RequestsPerSecond != 100 || r.ErrorRate != 0.25 {
		t.Errorf("rates %v req/s, error rate %v; want 100 and 0.25", r.RequestsPerSecond, r.ErrorRate)
	}
	// 200 observations in bucket 8 (10 to 25 ms): p50 interpolated at the
	// middle, p99 near its top; the 100 older ones are not the interval's.
	if r.P50Ms != 17.5 || r.P99Ms != 24.85 {
		t.Errorf("p50 %v p99 %v, want 17.5 and 24.85", r.P50Ms, r.P99Ms)
	}
	c := r.Clusters[0]
	if c.RequestsPerSecond != 100 || c.ErrorRate != 0.25 || c.P50Ms != 17.5 || c.BackendsUp != 1 || c.BackendsDown != 1 {
		t.Errorf("cluster %+v", c)
	}
	b := r.Backends[0]
	if b.RequestsPerSecond != 5 || b.InFlight != 2 || b.P50Ms != 0.025 || b.ErrorRate != 0 {
		t.Errorf("backend s1 %+v", b)
	}
	if b := r.Backends[1]; b.RequestsPerSecond != 0 || b.P99Ms != 0 {
		t.Errorf("backend s2 %+v", b)
	}
	// No previous answer: everything counted is the interval's; no
	// buckets: no quantiles.
	r = Rates(nil, &order.MetricsContent{Clusters: []order.ClusterMetrics{{ClusterID: "x", Requests: 10}}}, time.Second, now)
	if r.Clusters[0].RequestsPerSecond != 10 || r.P50Ms != 0 || r.Backends == nil {
		t.Errorf("from nothing: %+v", r)
	}
}

// BenchmarkStreamSample is what one client of the admin API's
// /api/metrics/stream costs a second: a snapshot with buckets of 100
// clusters of 10 backends and 10 listeners, and the summary of two.
func BenchmarkStreamSample(b *testing.B) {
	r := NewRegistry()
	for i := range 10 {
		r.AddListener(fmt.Sprintf("127.0.0.1:%d", 8000+i)).RequestTime.Observe(time.Millisecond)
	}
	for c := range 100 {
		id := fmt.Sprintf("c%d", c)
		r.AddCluster(id).RequestTime.Observe(time.Millisecond)
		for k := range 10 {
			r.AddBackend(id, fmt.Sprintf("b%d", k)).ResponseTime.Observe(time.Millisecond)
		}
	}
	prev := r.Snapshot(Filter{Buckets: true})
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		cur := r.Snapshot(Filter{Buckets: true})
		Rates(&prev, &cur, time.Second, now)
	}
}

// TestBetween: the window's histogram from two summaries: the difference;
// all of cur when prev has no buckets (added since) or went down (reset);
// nothing when cur has no buckets or the bounds are another version's.
func TestBetween(t *testing.T) {
	b := boundsMs()
	sum := func(m map[int]int64) order.TimeSummary { return order.TimeSummary{Buckets: buckets(m)} }
	for _, tc := range []struct {
		name      string
		prev, cur order.TimeSummary
		pb, cb    []float64
		want      int64 // observations in the window
		ok        bool
	}{
		{"difference", sum(map[int]int64{3: 5}), sum(map[int]int64{3: 7, 9: 1}), b, b, 3, true},
		{"added since", order.TimeSummary{}, sum(map[int]int64{3: 7}), nil, b, 7, true},
		{"reset", sum(map[int]int64{3: 9}), sum(map[int]int64{3: 2}), b, b, 2, true},
		{"no buckets", sum(map[int]int64{3: 1}), order.TimeSummary{}, b, b, 0, false},
		{"other bounds", sum(map[int]int64{3: 1}), sum(map[int]int64{3: 2}), b, append([]float64{0.01}, b[1:]...), 0, false},
	} {
		d, ok := Between(tc.prev, tc.pb, tc.cur, tc.cb)
		if ok != tc.ok || d.Count() != tc.want {
			t.Errorf("%s: %d observations, ok %v; want %d, %v", tc.name, d.Count(), ok, tc.want, tc.ok)
		}
	}
}
