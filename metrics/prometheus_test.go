package metrics

import (
	"math"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape serves one /metrics request and returns the text and its parse.
func scrape(t *testing.T, r *Registry) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	h, err := r.Handler()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	text := rec.Body.String()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, text)
	}
	return text, fams
}

// sample finds the metric of family name whose labels include want.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	for _, m := range f.Metric {
		n := 0
		for _, l := range m.Label {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				n++
			}
		}
		if n == len(want) {
			return m
		}
	}
	return nil
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := sample(fams, name, labels)
	switch {
	case m == nil:
		t.Errorf("no sample %s%v", name, labels)
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Errorf("%s%v is neither counter nor gauge", name, labels)
	return -1
}

func TestPrometheusValues(t *testing.T) {
	r := NewRegistry()
	l := r.AddListener("127.0.0.1:8080")
	c := r.AddCluster("shop")
	b := r.AddBackend("shop", "shop-1")
	for range 3 {
		l.Requests.Inc()
		l.Responses.Inc(200)
		c.Responses.Inc(200)
		b.Responses.Inc(200)
	}
	l.Requests.Inc()
	l.Responses.Inc(404)
	l.Responses.Inc(503)
	c.Responses.Inc(503)
	l.BytesIn.Add(1234)
	l.ConnectionsActive.Set(5)
	l.Errors[ClientTimeout].Add(2)
	c.Errors[BackendConnect].Add(4)
	c.BackendsUp.Set(1)
	b.InFlight.Set(2)
	l.RequestTime.Observe(50 * time.Microsecond) // on the first bound
	l.RequestTime.Observe(3 * time.Millisecond)
	l.RequestTime.Observe(2 * time.Minute)

	text, fams := scrape(t, r)
	ll := map[string]string{"listener": "127.0.0.1:8080"}
	cl := map[string]string{"cluster": "shop"}
	bl := map[string]string{"cluster": "shop", "backend": "shop-1"}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for a, b := range m {
			out[a] = b
		}
		return out
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sluice_listener_requests_total", ll, 4},
		{"sluice_listener_responses_total", with(ll, "class", "2xx"), 3},
		{"sluice_listener_responses_total", with(ll, "class", "4xx"), 1},
		{"sluice_listener_responses_total", with(ll, "class", "5xx"), 1},
		{"sluice_listener_responses_total", with(ll, "class", "1xx"), 0},
		{"sluice_listener_received_bytes_total", ll, 1234},
		{"sluice_listener_connections_active", ll, 5},
		{"sluice_listener_errors_total", with(ll, "kind", "timeout"), 2},
		{"sluice_listener_errors_total", with(ll, "kind", "parse"), 0},
		{"sluice_cluster_responses_total", with(cl, "class", "2xx"), 3},
		{"sluice_cluster_responses_total", with(cl, "class", "5xx"), 1},
		{"sluice_cluster_errors_total", with(cl, "kind", "connect"), 4},
		{"sluice_cluster_backends_up", cl, 1},
		{"sluice_backend_responses_total", with(bl, "class", "2xx"), 3},
		{"sluice_backend_in_flight_requests", bl, 2},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	h := sample(fams, "sluice_listener_request_duration_seconds", ll).GetHistogram()
	if h.GetSampleCount() != 3 {
		t.Errorf("histogram count = %d, want 3", h.GetSampleCount())
	}
	if got, want := h.GetSampleSum(), 120.00305; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("histogram sum = %v, want %v", got, want)
	}
	wantCum := map[float64]uint64{0.00005: 1, 0.0001: 1, 0.0025: 1, 0.005: 2, 60: 2, math.Inf(1): 3}
	if len(h.Bucket) != NumBuckets { // the parser keeps +Inf as a bucket
		t.Errorf("%d buckets, want %d", len(h.Bucket), NumBuckets)
	}
	checked := 0
	for _, bk := range h.Bucket {
		if want, ok := wantCum[bk.GetUpperBound()]; ok {
			checked++
			if bk.GetCumulativeCount() != want {
				t.Errorf("bucket le=%v = %d, want %d", bk.GetUpperBound(), bk.GetCumulativeCount(), want)
			}
		}
	}
	if checked != len(wantCum) {
		t.Errorf("found %d of the %d buckets checked", checked, len(wantCum))
	}

	for _, line := range []string{
		"# HELP sluice_listener_requests_total ",
		"# TYPE sluice_listener_requests_total counter",
		"# TYPE sluice_listener_connections_active gauge",
		"# TYPE sluice_cluster_connect_duration_seconds histogram",
		`sluice_listener_request_duration_seconds_bucket{listener="127.0.0.1:8080",le="+Inf"} 3`,
	} {
		if !strings.Contains(text, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestPrometheusEveryField checks that every field of every set is exported:
// each counter and gauge value filled in appears once among the object's
// series, and each histogram count once.
func TestPrometheusEveryField(t *testing.T) {
	r := NewRegistry()
	objects := []struct {
		set    any
		labels map[string]string
	}{
		{r.AddListener("[::1]:443"), map[string]string{"listener": "[::1]:443"}},
		{r.AddCluster("api"), map[string]string{"cluster": "api"}},
		{r.AddBackend("api", "api-1"), map[string]string{"cluster": "api", "backend": "api-1"}},
	}
	for _, o := range objects {
		f := fill(t, o.set, 1000)
		_, fams := scrape(t, r)
		var scalars, hists []int64
		for name, fam := range fams {
			if !strings.HasPrefix(name, "sluice_") {
				continue
			}
			for _, m := range fam.Metric {
				if !hasExactly(m, o.labels) {
					continue
				}
				switch {
				case m.Counter != nil:
					scalars = append(scalars, int64(m.Counter.GetValue()))
				case m.Gauge != nil:
					scalars = append(scalars, int64(m.Gauge.GetValue()))
				case m.Histogram != nil:
					hists = append(hists, int64(m.Histogram.GetSampleCount()))
				}
			}
		}
		slices.Sort(scalars)
		slices.Sort(hists)
		if !slices.Equal(scalars, f.scalars) || !slices.Equal(hists, f.hists) {
			t.Errorf("%v: exported values %v and histogram counts %v, want %v and %v",
				o.labels, scalars, hists, f.scalars, f.hists)
		}
	}
}

// hasExactly reports whether m's labels, other than class and kind, are want.
func hasExactly(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.Label {
		switch v, ok := want[l.GetName()]; {
		case ok && v == l.GetValue():
			n++
		case l.GetName() != "class" && l.GetName() != "kind":
			return false
		}
	}
	return n == len(want)
}

func TestPrometheusUnregistered(t *testing.T) {
	r := NewRegistry()
	r.AddListener("a:1").Requests.Inc()
	r.AddCluster("shop").Requests.Add(2)
	r.AddBackend("shop", "b1").Requests.Add(3)
	r.AddBackend("shop", "b2").Requests.Add(4)
	r.AddBackend("other", "b1").Requests.Add(5)

	r.RemoveListener("a:1")
	r.RemoveBackend("shop", "b2")
	_, fams := scrape(t, r)
	if f := fams["sluice_listener_requests_total"]; f != nil {
		t.Errorf("removed listener still exported: %v", f)
	}
	if got := len(fams["sluice_backend_requests_total"].GetMetric()); got != 2 {
		t.Errorf("%d backend series, want 2 (shop/b1, other/b1)", got)
	}
	if sample(fams, "sluice_backend_requests_total", map[string]string{"backend": "b2"}) != nil {
		t.Error("removed backend shop/b2 still exported")
	}

	r.RemoveCluster("shop")
	text, fams := scrape(t, r)
	if strings.Contains(text, `cluster="shop"`) {
		t.Errorf("removed cluster shop or its backends still exported:\n%s", grep(text, `cluster="shop"`))
	}
	if got := value(t, fams, "sluice_backend_requests_total", map[string]string{"cluster": "other", "backend": "b1"}); got != 5 {
		t.Errorf("other/b1 requests = %v, want 5", got)
	}

	// Re-adding starts from zero.
	r.AddListener("a:1")
	_, fams = scrape(t, r)
	if got := value(t, fams, "sluice_listener_requests_total", map[string]string{"listener": "a:1"}); got != 0 {
		t.Errorf("re-added listener requests = %v, want 0", got)
	}
}

func grep(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
