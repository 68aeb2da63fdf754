package top

import (
	"slices"
	"time"

	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
)

// Row is one line of a table: a cluster, or one backend of a cluster.
type Row struct {
	Cluster string
	Backend string // empty in a cluster's row

	// Rated is false until two samples are known: the rates are then
	// unknown, not zero.
	Rated bool
	// ReqRate is requests per second between the last two samples; for a
	// backend, each attempt of a retried request counts.
	ReqRate float64
	// ErrRate is errors per second: for a cluster, the 5xx responses sent
	// to clients (the proxy's own 502, 503 and 504 included); for a
	// backend, its 5xx responses plus its failed connects.
	ErrRate float64
	// ErrRatio is the errors' share of the requests, 0 to 1 (0 without
	// requests).
	ErrRatio float64

	// P99 is the 99th percentile over the window (see [Compute]): of the
	// request's total time for a cluster, of the time to first byte for
	// a backend. HasP99 is false when nothing was observed in the window.
	P99    time.Duration
	HasP99 bool

	// Active is the number of requests in flight now (a cluster: its
	// backends' sum); each holds a backend connection over HTTP/1.1.
	Active int64
	// Idle is the number of pooled idle connections (a cluster: the sum).
	Idle int64
	// Requests is the count since the object was added.
	Requests int64

	// A backend's settings and health.
	Address string
	Weight  int
	Backup  bool
	Health  string // "up", "backoff", "down"
	// Up and Down count a cluster's backends by health ("backoff" is up).
	Up, Down int
}

// Key names the row: the cluster, or cluster/backend.
func (r *Row) Key() string {
	if r.Backend == "" {
		return r.Cluster
	}
	return r.Cluster + "/" + r.Backend
}

// Table holds the rows of one moment, clusters and backends each sorted by
// key.
type Table struct {
	Clusters []Row
	Backends []Row
	// Totals of the whole proxy: requests per second (Rated like a Row)
	// and client connections open.
	ReqRate     float64
	Rated       bool
	Connections int64
}

// Compute returns the rows of cur. Rates are the counters' increase from
// prev to cur divided by the time between them; prev is nil for the first
// sample, and the rates are then not known. Quantiles are those of the
// durations observed between base and cur, base being the oldest sample
// of the window (nil: none). A counter lower than before (an object
// removed and added again, a proxy restarted) counts from zero. An object
// that was not in prev (added since) is taken to have started from zero.
// Compute is a pure function of its arguments.
func Compute(base, prev, cur *Sample) Table {
	var t Table
	t.Connections = cur.Status.ActiveConnections
	dt := 0.0
	if prev != nil {
		dt = cur.Time.Sub(prev.Time).Seconds()
	}
	rated := dt > 0
	if rated {
		t.Rated = true
		t.ReqRate = rate(prev.Status.Requests, cur.Status.Requests, dt)
	}

	var pm, bm, cm *order.MetricsContent = nil, nil, cur.Metrics
	if prev != nil {
		pm = prev.Metrics
	}
	if base != nil {
		bm = base.Metrics
	}
	if cm == nil {
		cm = &order.MetricsContent{}
	}

	// Backends: the list gives health and settings, metrics the counts.
	curB := backendIndex(cm)
	prevB, baseB := backendIndex(pm), backendIndex(bm)
	clusters := map[string]*Row{}
	cluster := func(id string) *Row {
		r := clusters[id]
		if r == nil {
			r = &Row{Cluster: id, Rated: rated}
			clusters[id] = r
		}
		return r
	}
	for _, b := range cur.Backends {
		r := Row{Cluster: b.ClusterID, Backend: b.ID, Rated: rated, Address: b.Address,
			Weight: b.Weight, Backup: b.Backup, Health: b.Health, Active: b.InFlight, Idle: int64(b.IdleConnections)}
		k := backendKey{b.ClusterID, b.ID}
		if m, ok := curB[k]; ok {
			p := prevB[k] // the zero value when the backend is new
			r.Requests = m.Requests
			if rated {
				r.ReqRate = rate(p.Requests, m.Requests, dt)
				r.ErrRate = rate(p.Responses.ServerError+p.ConnectErrors, m.Responses.ServerError+m.ConnectErrors, dt)
			}
			if bb, ok := baseB[k]; ok || base != nil {
				r.P99, r.HasP99 = quantile(bb.ResponseTime, bm, m.ResponseTime, cm, 0.99)
			}
		}
		r.ErrRatio = ratio(r.ErrRate, r.ReqRate)
		t.Backends = append(t.Backends, r)
		c := cluster(b.ClusterID)
		c.Active += r.Active
		c.Idle += r.Idle
		if b.Health == "down" {
			c.Down++
		} else {
			c.Up++
		}
	}

	prevC, baseC := clusterIndex(pm), clusterIndex(bm)
	for _, m := range cm.Clusters {
		r := cluster(m.ClusterID)
		p := prevC[m.ClusterID]
		r.Requests = m.Requests
		if rated {
			r.ReqRate = rate(p.Requests, m.Requests, dt)
			r.ErrRate = rate(p.Responses.ServerError, m.Responses.ServerError, dt)
		}
		if bc, ok := baseC[m.ClusterID]; ok || base != nil {
			r.P99, r.HasP99 = quantile(bc.RequestTime, bm, m.RequestTime, cm, 0.99)
		}
		r.ErrRatio = ratio(r.ErrRate, r.ReqRate)
	}
	for _, r := range clusters {
		t.Clusters = append(t.Clusters, *r)
	}
	slices.SortFunc(t.Clusters, byKey)
	slices.SortFunc(t.Backends, byKey)
	return t
}

func byKey(a, b Row) int {
	if a.Cluster != b.Cluster {
		if a.Cluster < b.Cluster {
			return -1
		}
		return 1
	}
	switch {
	case a.Backend < b.Backend:
		return -1
	case a.Backend > b.Backend:
		return 1
	}
	return 0
}

type backendKey struct{ cluster, backend string }

func backendIndex(m *order.MetricsContent) map[backendKey]order.BackendMetrics {
	if m == nil {
		return nil
	}
	out := make(map[backendKey]order.BackendMetrics, len(m.Backends))
	for _, b := range m.Backends {
		out[backendKey{b.ClusterID, b.BackendID}] = b
	}
	return out
}

func clusterIndex(m *order.MetricsContent) map[string]order.ClusterMetrics {
	if m == nil {
		return nil
	}
	out := make(map[string]order.ClusterMetrics, len(m.Clusters))
	for _, c := range m.Clusters {
		out[c.ClusterID] = c
	}
	return out
}

// rate is the increase from prev to cur per second over dt seconds; a
// counter that went down was reset, and counts from zero.
func rate(prev, cur int64, dt float64) float64 {
	if cur < prev {
		prev = 0
	}
	return float64(cur-prev) / dt
}

func ratio(errs, reqs float64) float64 {
	if reqs <= 0 {
		return 0
	}
	return min(errs/reqs, 1)
}

// quantile estimates the q-quantile of the durations observed between
// the summary from (in the content fromC; the zero summary for an object
// that did not exist then) and the summary to (in toC). A histogram that
// went down was reset: its own counts are those of the window. ok is
// false when nothing was observed, or the buckets are missing.
func quantile(from order.TimeSummary, fromC *order.MetricsContent, to order.TimeSummary, toC *order.MetricsContent, q float64) (time.Duration, bool) {
	var fromBounds []float64
	if fromC == nil {
		from = order.TimeSummary{}
	} else {
		fromBounds = fromC.BucketBoundsMs
	}
	d, ok := metrics.Between(from, fromBounds, to, toC.BucketBoundsMs)
	if !ok || d.Count() == 0 {
		return 0, false
	}
	return d.Quantile(q), true
}
