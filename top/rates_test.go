package top

import (
	"math"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// bounds are the wire form of the metrics package's bucket bounds.
func bounds() []float64 {
	var out []float64
	for _, b := range metrics.Bounds() {
		out = append(out, float64(b)/1e6)
	}
	return out
}

// hist is a wire summary with n observations in the bucket whose upper
// bound is upper (and nothing else).
func hist(upper time.Duration, n int64) order.TimeSummary {
	b := make([]int64, metrics.NumBuckets)
	for i, u := range metrics.Bounds() {
		if u == upper {
			b[i] = n
		}
	}
	return order.TimeSummary{Count: n, Buckets: b}
}

// add sums wire summaries bucket by bucket.
func add(ts ...order.TimeSummary) order.TimeSummary {
	out := order.TimeSummary{Buckets: make([]int64, metrics.NumBuckets)}
	for _, t := range ts {
		out.Count += t.Count
		for i, c := range t.Buckets {
			out.Buckets[i] += c
		}
	}
	return out
}

// sample is a proxy with cluster shop (backends s1, s2) at time t0+sec.
type fig struct {
	req, c5xx, b1req, b15xx, b1conn, b2req int64
	rt, b1rt                               order.TimeSummary
}

func sample(sec float64, pid int, f fig) *Sample {
	return &Sample{
		Time:   t0.Add(time.Duration(sec * float64(time.Second))),
		Status: order.ProxyStatus{PID: pid, Requests: f.req, ActiveConnections: 3},
		Metrics: &order.MetricsContent{
			Clusters: []order.ClusterMetrics{{ClusterID: "shop", Requests: f.req,
				Responses: order.StatusClasses{Success: f.req - f.c5xx, ServerError: f.c5xx}, RequestTime: f.rt}},
			Backends: []order.BackendMetrics{
				{ClusterID: "shop", BackendID: "s1", Requests: f.b1req, Responses: order.StatusClasses{ServerError: f.b15xx},
					ConnectErrors: f.b1conn, ResponseTime: f.b1rt},
				{ClusterID: "shop", BackendID: "s2", Requests: f.b2req},
			},
			BucketBoundsMs: bounds(),
		},
		Backends: []order.BackendStatus{
			{Backend: order.Backend{ClusterID: "shop", ID: "s1", Address: "127.0.0.1:1", Weight: 100}, Health: "up", InFlight: 2, IdleConnections: 1},
			{Backend: order.Backend{ClusterID: "shop", ID: "s2", Address: "127.0.0.1:2", Weight: 5, Backup: true}, Health: "down"},
		},
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestComputeRates(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name                    string
		base, prev, cur         *Sample
		rated                   bool
		req, errs, ratio, total float64
		b1req, b1err            float64
		p99lo, p99hi            time.Duration // 0, 0: no p99
		b1p99lo, b1p99hi        time.Duration
	}{
		{name: "first sample: nothing is known yet",
			cur:   sample(0, 1, fig{req: 100, rt: hist(ms, 100)}),
			rated: false},
		{name: "two seconds apart: increase over time",
			base:  sample(0, 1, fig{req: 100, c5xx: 0, b1req: 60, rt: hist(ms, 100), b1rt: hist(ms, 60)}),
			prev:  sample(0, 1, fig{req: 100, c5xx: 0, b1req: 60, rt: hist(ms, 100), b1rt: hist(ms, 60)}),
			cur:   sample(2, 1, fig{req: 300, c5xx: 10, b1req: 160, b15xx: 4, b1conn: 2, rt: add(hist(ms, 100), hist(250*ms, 200)), b1rt: add(hist(ms, 60), hist(5*ms, 100))}),
			rated: true, req: 100, errs: 5, ratio: 0.05, total: 100, b1req: 50, b1err: 3,
			// only the window's 200 observations, all in (100ms, 250ms]
			p99lo: 100 * ms, p99hi: 250 * ms, b1p99lo: 2500 * time.Microsecond, b1p99hi: 5 * ms},
		{name: "half a second: per second, not per poll",
			prev:  sample(10, 1, fig{req: 100}),
			cur:   sample(10.5, 1, fig{req: 150}),
			base:  sample(10, 1, fig{req: 100}),
			rated: true, req: 100, total: 100},
		{name: "a counter that went down was reset and counts from zero",
			base:  sample(0, 1, fig{req: 1000, rt: hist(ms, 1000)}),
			prev:  sample(0, 1, fig{req: 1000, rt: hist(ms, 1000)}),
			cur:   sample(1, 1, fig{req: 30, c5xx: 3, rt: hist(10*ms, 30)}),
			rated: true, req: 30, errs: 3, ratio: 0.1, total: 30,
			p99lo: 5 * ms, p99hi: 10 * ms},
		{name: "no request in the window: no p99, zero rates",
			base:  sample(0, 1, fig{req: 5, rt: hist(ms, 5)}),
			prev:  sample(9, 1, fig{req: 5, rt: hist(ms, 5)}),
			cur:   sample(10, 1, fig{req: 5, rt: hist(ms, 5)}),
			rated: true},
		{name: "window wider than the last interval: p99 of the whole window",
			base:  sample(0, 1, fig{req: 0}),
			prev:  sample(9, 1, fig{req: 100, rt: hist(500*ms, 100)}),
			cur:   sample(10, 1, fig{req: 101, rt: add(hist(500*ms, 100), hist(ms, 1))}),
			rated: true, req: 1, total: 1, p99lo: 250 * ms, p99hi: 500 * ms},
		{name: "same time twice: no rate rather than a division by zero",
			prev:  sample(3, 1, fig{req: 1}),
			cur:   sample(3, 1, fig{req: 2}),
			rated: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := Compute(c.base, c.prev, c.cur)
			if len(tb.Clusters) != 1 || len(tb.Backends) != 2 {
				t.Fatalf("rows %+v", tb)
			}
			cl, b1, b2 := tb.Clusters[0], tb.Backends[0], tb.Backends[1]
			if cl.Rated != c.rated || b1.Rated != c.rated || tb.Rated != c.rated {
				t.Fatalf("rated %v %v %v, want %v", cl.Rated, b1.Rated, tb.Rated, c.rated)
			}
			if !near(cl.ReqRate, c.req) || !near(cl.ErrRate, c.errs) || !near(cl.ErrRatio, c.ratio) || !near(tb.ReqRate, c.total) {
				t.Errorf("cluster req/s %v err/s %v ratio %v total %v, want %v %v %v %v", cl.ReqRate, cl.ErrRate, cl.ErrRatio, tb.ReqRate, c.req, c.errs, c.ratio, c.total)
			}
			if !near(b1.ReqRate, c.b1req) || !near(b1.ErrRate, c.b1err) {
				t.Errorf("backend req/s %v err/s %v, want %v %v", b1.ReqRate, b1.ErrRate, c.b1req, c.b1err)
			}
			checkP99 := func(what string, r Row, lo, hi time.Duration) {
				if lo == 0 && hi == 0 {
					if r.HasP99 {
						t.Errorf("%s p99 %v, want none", what, r.P99)
					}
					return
				}
				if !r.HasP99 || r.P99 <= lo || r.P99 > hi {
					t.Errorf("%s p99 %v (%v), want in (%v, %v]", what, r.P99, r.HasP99, lo, hi)
				}
			}
			checkP99("cluster", cl, c.p99lo, c.p99hi)
			checkP99("backend", b1, c.b1p99lo, c.b1p99hi)
			// Live figures and settings come from list_backends.
			if cl.Active != 2 || cl.Idle != 1 || cl.Up != 1 || cl.Down != 1 || tb.Connections != 3 {
				t.Errorf("cluster live figures %+v", cl)
			}
			if b2.Health != "down" || b2.Weight != 5 || !b2.Backup || b2.Address != "127.0.0.1:2" || b1.Key() != "shop/s1" {
				t.Errorf("backend settings %+v", b2)
			}
		})
	}
}

// TestComputeNewObjects: a cluster or backend that appears between two
// polls started from zero; one without metrics (a proxy that keeps none)
// still has its health and settings.
func TestComputeNewObjects(t *testing.T) {
	prev := sample(0, 1, fig{req: 10})
	prev.Metrics.Clusters = nil
	prev.Metrics.Backends = prev.Metrics.Backends[1:] // s1 is new
	cur := sample(1, 1, fig{req: 40, b1req: 40, b1rt: hist(ms(), 40)})
	tb := Compute(prev, prev, cur)
	if cl := tb.Clusters[0]; !cl.Rated || cl.ReqRate != 40 {
		t.Errorf("new cluster %+v", cl)
	}
	if b := tb.Backends[0]; b.ReqRate != 40 || !b.HasP99 {
		t.Errorf("new backend %+v", b)
	}

	off := sample(1, 1, fig{})
	off.Metrics, off.MetricsOff = nil, "this proxy keeps no metrics"
	tb = Compute(off, off, off)
	if len(tb.Clusters) != 1 || tb.Clusters[0].Up != 1 || tb.Backends[1].Health != "down" || tb.Backends[0].HasP99 {
		t.Errorf("without metrics %+v", tb)
	}
}

func ms() time.Duration { return time.Millisecond }

// TestComputeWithoutBuckets: an answer without buckets (another version
// of the proxy) gives no p99 rather than a wrong one.
func TestComputeWithoutBuckets(t *testing.T) {
	a := sample(0, 1, fig{req: 1, rt: hist(ms(), 1)})
	b := sample(1, 1, fig{req: 2, rt: hist(ms(), 2)})
	b.Metrics.BucketBoundsMs = b.Metrics.BucketBoundsMs[:5]
	if c := Compute(a, a, b).Clusters[0]; c.HasP99 || c.ReqRate != 1 {
		t.Errorf("%+v", c)
	}
}

func TestSortAndMatch(t *testing.T) {
	rows := []Row{
		{Cluster: "b", Rated: true, ReqRate: 5, ErrRate: 1, P99: 9, HasP99: true, Active: 1},
		{Cluster: "a", Rated: true, ReqRate: 5, ErrRate: 0, Active: 7},
		{Cluster: "c", Rated: true, ReqRate: 9, ErrRate: 2, P99: 3, HasP99: true, Active: 0},
		{Cluster: "d"}, // not rated yet: sorts as the lowest
	}
	keys := func(rs []Row) string {
		s := ""
		for _, r := range rs {
			s += r.Cluster
		}
		return s
	}
	for _, c := range []struct {
		by   SortKey
		desc bool
		want string
	}{
		{ByRequests, true, "cabd"}, // ties by name
		{ByRequests, false, "dabc"},
		{ByErrors, true, "cbad"},
		{ByP99, true, "bcad"},
		{ByActive, true, "abcd"},
		{ByName, false, "abcd"},
		{ByName, true, "dcba"},
	} {
		rs := append([]Row(nil), rows...)
		sortRows(rs, c.by, c.desc)
		if got := keys(rs); got != c.want {
			t.Errorf("sort by %s desc=%v: %s, want %s", c.by, c.desc, got, c.want)
		}
	}
	rs := []Row{{Cluster: "Shop", Backend: "s1"}, {Cluster: "api", Backend: "shop-x"}, {Cluster: "db"}}
	if got := matchRows(append([]Row(nil), rs...), "SHOP"); len(got) != 2 {
		t.Errorf("match SHOP: %+v", got)
	}
	if got := matchRows(append([]Row(nil), rs...), "shop/s"); len(got) != 1 || got[0].Backend != "s1" {
		t.Errorf("match shop/s: %+v", got)
	}
	if got := matchRows(append([]Row(nil), rs...), ""); len(got) != 3 {
		t.Errorf("empty filter: %+v", got)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{rateText(false, 3), "-"},
		{rateText(true, 0), "0.0"},
		{rateText(true, 999.94), "999.9"},
		{rateText(true, 12345), "12.3k"},
		{rateText(true, 2.5e6), "2.5M"},
		{durationText(false, 0), "-"},
		{durationText(true, 420*time.Microsecond), "0.42ms"},
		{durationText(true, 12340*time.Microsecond), "12.3ms"},
		{durationText(true, 1500*time.Millisecond), "1.50s"},
		{uptime(59), "59s"},
		{uptime(3725), "1h2m"},
		{uptime(90061), "1d1h"},
		{pad("abcdef", 4, true), "a~ef"},
		{pad("shop-eu-12", 7, true), "sho~-12"},
		{pad("ab", 4, false), "  ab"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if w := layout([]column{{width: 8, flex: 1}, {width: 10}, {width: 8, flex: 1}}, 80); w[0]+w[1]+w[2]+2 != 80 || w[1] != 10 {
		t.Errorf("layout %v", w)
	}
}
