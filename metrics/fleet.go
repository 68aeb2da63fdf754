package metrics

import "github.com/prometheus/client_golang/prometheus"

// Fleet is how an instance follows etcd (fleet mode): see
// order.FleetStatus.
type Fleet struct {
	Connected                          bool
	Revision, Seen                     int64
	Applied, Refused, Resyncs, Outages int64
}

// SetFleet makes the Prometheus export show f's figures as
// sluice_fleet_connected (1 or 0), sluice_fleet_revision{which="applied|seen"}
// and sluice_fleet_revisions_total{result="applied|refused"},
// sluice_fleet_resyncs_total, sluice_fleet_outages_total; nil removes
// them. f is called at each collection, from any goroutine.
func (r *Registry) SetFleet(f func() Fleet) {
	if f == nil {
		r.fleet.Store(nil)
		return
	}
	r.fleet.Store(&f)
}

var (
	fleetConnected = prometheus.NewDesc("sluice_fleet_connected",
		"1 when etcd answered the last probe (fleet mode), else 0: the last configuration keeps serving.", nil, nil)
	fleetRevision = prometheus.NewDesc("sluice_fleet_revision",
		"The etcd revision whose configuration runs (applied) and the last one read (seen; later when refused).",
		[]string{"which"}, nil)
	fleetRevisions = prometheus.NewDesc("sluice_fleet_revisions_total",
		"etcd revisions applied and refused (a bad value) since the start.", []string{"result"}, nil)
	fleetResyncs = prometheus.NewDesc("sluice_fleet_resyncs_total",
		"Full reads of the prefix after a compaction of revisions the watch had missed.", nil, nil)
	fleetOutages = prometheus.NewDesc("sluice_fleet_outages_total",
		"Times etcd stopped answering.", nil, nil)
)

func (r *Registry) collectFleet(ch chan<- prometheus.Metric) {
	p := r.fleet.Load()
	if p == nil {
		return
	}
	f := (*p)()
	up := 0.0
	if f.Connected {
		up = 1
	}
	ch <- constMetric(fleetConnected, prometheus.GaugeValue, up, nil)
	ch <- constMetric(fleetRevision, prometheus.GaugeValue, float64(f.Revision), []string{"applied"})
	ch <- constMetric(fleetRevision, prometheus.GaugeValue, float64(f.Seen), []string{"seen"})
	ch <- constMetric(fleetRevisions, prometheus.CounterValue, float64(f.Applied), []string{"applied"})
	ch <- constMetric(fleetRevisions, prometheus.CounterValue, float64(f.Refused), []string{"refused"})
	ch <- constMetric(fleetResyncs, prometheus.CounterValue, float64(f.Resyncs), nil)
	ch <- constMetric(fleetOutages, prometheus.CounterValue, float64(f.Outages), nil)
}
