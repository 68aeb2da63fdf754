package proxy_test

import (
	"bufio"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/internal/testbuf"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// syncBuffer is a buffer the test reads while the daemon writes to it.
type syncBuffer = testbuf.Buffer

// logLine is an access log line in the JSON format.
type logLine struct {
	Time      string   `json:"time"`
	RequestID string   `json:"request_id"`
	Client    *string  `json:"client"`
	Listener  string   `json:"listener"`
	Cluster   *string  `json:"cluster"`
	Backend   *string  `json:"backend"`
	Method    *string  `json:"method"`
	Host      *string  `json:"host"`
	Path      *string  `json:"path"`
	Status    *int     `json:"status"`
	BytesIn   int64    `json:"bytes_in"`
	BytesOut  int64    `json:"bytes_out"`
	TotalMs   *float64 `json:"total_ms"`
	BackendMs *float64 `json:"backend_ms"`
	ConnectMs *float64 `json:"connect_ms"`
	TLS       *string  `json:"tls_version"`
	SNI       *string  `json:"sni"`
	UserAgent *string  `json:"user_agent"`
	TraceID   *string  `json:"trace_id"` // null: no tracer
	Error     *string  `json:"error"`
}

// TestMetricsAndAccessLog: after a known mix of requests (200s, 404s,
// 503s and a malformed one), the metric sets, the metrics order and the
// Prometheus output hold exactly the expected counts, histograms count
// every request, and the access log has one parsable line per request with
// its fields.
func TestMetricsAndAccessLog(t *testing.T) {
	reg := metrics.NewRegistry()
	logs := &syncBuffer{}
	al, err := accesslog.New(accesslog.Config{Output: logs, Format: accesslog.JSON})
	if err != nil {
		t.Fatal(err)
	}
	h := startProxy(t, func(c *proxy.Config) { c.Metrics, c.AccessLog = reg, al })
	o := newOrigin(t, "shop", nil)
	h.route("shop.test", o.Addr) // cluster c-shop_test, backend b0
	h.route("empty.test")        // a cluster without backends: 503
	for i := range 5 {
		req := h.request("GET", "shop.test", "/item?n="+string(rune('0'+i)), nil)
		req.Header.Set("User-Agent", "metrics-test/1")
		resp, body := h.send(req)
		wantStatus(t, resp, body, 200)
	}
	for range 3 {
		resp, body := h.get("nowhere.test", "/")
		wantStatus(t, resp, body, 404)
	}
	for range 2 {
		resp, body := h.get("empty.test", "/")
		wantStatus(t, resp, body, 503)
	}
	bad := dialRaw(t, h.Addr)
	bad.write("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
	resp, body := bad.read("GET")
	wantStatus(t, resp, body, 400)
	h.Tr.CloseIdleConnections()

	// The metrics order.
	var m *order.MetricsContent
	// Each connection's session counts its exchange after writing the
	// response, so wait for all of them (not only the last sent).
	// The listener's, clusters' and backend's figures are separate counters
	// updated one after the other, so wait until the last of them is in.
	eventually(t, ioTimeout, "every response to be counted", func() bool {
		m = h.Must(order.Metrics{}).Content.Metrics
		if len(m.Listeners) != 1 || len(m.Backends) != 1 {
			return false
		}
		l, b := m.Listeners[0], m.Backends[0]
		counted := map[string][3]int64{}
		for _, c := range m.Clusters {
			counted[c.ClusterID] = [3]int64{c.Requests, c.RequestTime.Count, c.ResponseTime.Count}
		}
		return l.Responses.ClientError == 4 && l.Responses.ServerError == 2 && l.Responses.Success == 5 &&
			l.RequestTime.Count == 11 && b.Requests == 5 && b.ResponseTime.Count == 5 && b.InFlight == 0 &&
			counted["c-shop_test"] == [3]int64{5, 5, 5} && counted["c-empty_test"][0] == 2
	})
	l := m.Listeners[0]
	if l.Address != h.Addr || l.Requests != 10 || l.Responses.Success != 5 || l.Responses.ClientError != 4 ||
		l.Responses.ServerError != 2 || l.Errors.Parse != 1 || l.RequestTime.Count != 11 {
		t.Errorf("listener figures %+v", l)
	}
	if l.BytesIn <= 0 || l.BytesOut <= 0 || l.ConnectionsAccepted < 2 {
		t.Errorf("listener bytes or connections %+v", l)
	}
	clusters := map[string]order.ClusterMetrics{}
	for _, c := range m.Clusters {
		clusters[c.ClusterID] = c
	}
	if c := clusters["c-shop_test"]; c.Requests != 5 || c.Responses.Success != 5 || c.RequestTime.Count != 5 ||
		c.ResponseTime.Count != 5 || c.BackendsUp != 1 || c.BackendsDown != 0 || c.ConnectTime.Count < 1 {
		t.Errorf("shop cluster %+v", c)
	}
	if c := clusters["c-empty_test"]; c.Requests != 2 || c.Responses.ServerError != 2 || c.ResponseTime.Count != 0 {
		t.Errorf("empty cluster %+v", c)
	}
	if len(m.Backends) != 1 {
		t.Fatalf("backends %+v", m.Backends)
	}
	if b := m.Backends[0]; b.BackendID != "b0" || b.Requests != 5 || b.Responses.Success != 5 ||
		b.BytesSent <= 0 || b.BytesReceived <= 0 || b.InFlight != 0 || b.ResponseTime.Count != 5 {
		t.Errorf("backend %+v", b)
	}
	// Filtered: one cluster and its backend, no listeners.
	f := h.Must(order.Metrics{ClusterID: "c-empty_test"}).Content.Metrics
	if len(f.Listeners) != 0 || len(f.Clusters) != 1 || len(f.Backends) != 0 {
		t.Errorf("filtered by cluster: %+v", f)
	}

	// The Prometheus output says the same.
	handler, err := reg.Handler()
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		fam := fams[name]
		if fam == nil {
			t.Fatalf("no %s", name)
		}
	next:
		for _, mt := range fam.Metric {
			for _, lp := range mt.Label {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			switch {
			case mt.Counter != nil:
				return mt.Counter.GetValue()
			case mt.Gauge != nil:
				return mt.Gauge.GetValue()
			case mt.Histogram != nil:
				return float64(mt.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("no %s%v", name, labels)
		return 0
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"sluice_listener_requests_total", map[string]string{"listener": h.Addr}, 10},
		{"sluice_listener_responses_total", map[string]string{"listener": h.Addr, "class": "2xx"}, 5},
		{"sluice_listener_responses_total", map[string]string{"listener": h.Addr, "class": "4xx"}, 4},
		{"sluice_listener_responses_total", map[string]string{"listener": h.Addr, "class": "5xx"}, 2},
		{"sluice_listener_errors_total", map[string]string{"listener": h.Addr, "kind": "parse"}, 1},
		{"sluice_listener_request_duration_seconds", map[string]string{"listener": h.Addr}, 11},
		{"sluice_cluster_requests_total", map[string]string{"cluster": "c-shop_test"}, 5},
		{"sluice_cluster_responses_total", map[string]string{"cluster": "c-empty_test", "class": "5xx"}, 2},
		{"sluice_cluster_backends_up", map[string]string{"cluster": "c-shop_test"}, 1},
		{"sluice_backend_requests_total", map[string]string{"cluster": "c-shop_test", "backend": "b0"}, 5},
		{"sluice_backend_response_duration_seconds", map[string]string{"cluster": "c-shop_test", "backend": "b0"}, 5},
	} {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// The access log: a line per request, 11 in all.
	if err := al.Close(); err != nil {
		t.Fatal(err)
	}
	var lines []logLine
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var ln logLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ln); err != nil {
			t.Fatalf("access log line %q: %v", sc.Text(), err)
		}
		lines = append(lines, ln)
	}
	if len(lines) != 11 {
		t.Fatalf("%d access log lines, want 11:\n%s", len(lines), logs)
	}
	statuses := map[int]int{}
	var bytesIn int64
	for _, ln := range lines {
		if ln.Status == nil || ln.RequestID == "" || ln.Client == nil || ln.Listener != h.Addr || ln.TotalMs == nil {
			t.Errorf("line lacks a field: %+v", ln)
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, ln.Time); err != nil {
			t.Errorf("time %q: %v", ln.Time, err)
		}
		statuses[*ln.Status]++
		bytesIn += ln.BytesIn
		if *ln.Status == 200 {
			if ln.Cluster == nil || *ln.Cluster != "c-shop_test" || ln.Backend == nil || *ln.Backend != "b0" ||
				*ln.Method != "GET" || *ln.Host != "shop.test" || !strings.HasPrefix(*ln.Path, "/item?n=") ||
				ln.UserAgent == nil || *ln.UserAgent != "metrics-test/1" || ln.BackendMs == nil || ln.BytesOut <= 0 || ln.TraceID != nil {
				t.Errorf("200 line %+v", ln)
			}
		}
		if *ln.Status == 404 && (ln.Cluster != nil || ln.Backend != nil) {
			t.Errorf("404 line names a cluster or backend: %+v", ln)
		}
		if *ln.Status == 400 && ln.Method != nil {
			t.Errorf("refused head logged with request fields: %+v", ln)
		}
	}
	if statuses[200] != 5 || statuses[404] != 3 || statuses[503] != 2 || statuses[400] != 1 {
		t.Errorf("statuses logged %v", statuses)
	}
	if bytesIn != l.BytesIn {
		t.Errorf("access log bytes in %d, listener counted %d", bytesIn, l.BytesIn)
	}
}

// TestUnwritableAccessLog: an access log whose file cannot be opened does
// not stop traffic, and says so.
func TestUnwritableAccessLog(t *testing.T) {
	var reported []error
	var mu sync.Mutex
	al, err := accesslog.New(accesslog.Config{Target: t.TempDir() + "/no/such/folder/access.log",
		OnError: func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	h := startProxy(t, func(c *proxy.Config) { c.AccessLog = al })
	o := newOrigin(t, "o", nil)
	h.route("o.test", o.Addr)
	for range 20 {
		resp, body := h.get("o.test", "/")
		wantStatus(t, resp, body, 200)
	}
	eventually(t, ioTimeout, "the lost lines to be counted", func() bool { return al.Stats().Failed == 20 })
	mu.Lock()
	defer mu.Unlock()
	if len(reported) == 0 || al.Err() == nil {
		t.Fatalf("unwritable target not reported: %v / %v", reported, al.Err())
	}
}
