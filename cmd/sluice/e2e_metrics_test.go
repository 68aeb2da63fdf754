package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testwait"
	"github.com/sluiceproxy/sluice/order"
)

// TestMetricsThroughTheDaemon: the daemon counts requests (`sluice
// metrics`), serves them to Prometheus at prometheus_address, writes the
// access log to a file and reopens it on SIGUSR1 (log rotation), and
// `status` reports memory and goroutines.
func TestMetricsThroughTheDaemon(t *testing.T) {
	dir := t.TempDir()
	prom := freePort(t)
	d := start(t, dir, origin(t), fmt.Sprintf(`access_log = "access.log"
access_log_format = "json"
[metrics]
prometheus_address = %q
`, prom))
	for i := range 3 {
		if code, _ := get(t, fmt.Sprintf("http://%s/p%d", d.front, i)); code != 200 {
			t.Fatalf("GET: %d", code)
		}
	}
	out, errOut, code := cli(t, dir, "-s", "sluice.sock", "--json", "metrics", "--cluster", "shop", "--buckets")
	if code != 0 {
		t.Fatalf("metrics: %d %s", code, errOut)
	}
	var resp order.Response
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	m := resp.Content.Metrics
	if len(m.Clusters) != 1 || m.Clusters[0].Requests != 3 || m.Clusters[0].Responses.Success != 3 ||
		len(m.Backends) != 1 || m.Backends[0].Requests != 3 {
		t.Fatalf("metrics %s", out)
	}
	var n int64 // --buckets: the three requests are in the cluster's buckets
	for _, c := range m.Clusters[0].RequestTime.Buckets {
		n += c
	}
	if len(m.Clusters[0].RequestTime.Buckets) != 20 || n != 3 {
		t.Errorf("request time buckets %v, want 20 buckets holding 3", m.Clusters[0].RequestTime.Buckets)
	}
	human, _, _ := cli(t, dir, "-s", "sluice.sock", "metrics")
	if !strings.Contains(human, "LISTENER") || !strings.Contains(human, "shop-1") {
		t.Fatalf("metrics table:\n%s", human)
	}
	code, body := get(t, "http://"+prom+"/metrics")
	if code != 200 || !strings.Contains(body, `sluice_cluster_requests_total{cluster="shop"} 3`) {
		t.Fatalf("prometheus: %d\n%s", code, body)
	}

	logPath := filepath.Join(dir, "access.log")
	testwait.For(t, "three access log lines", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Count(string(b), "\n") == 3
	})
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the reopen", func() bool { return strings.Contains(d.stderr.String(), "access log reopened") })
	if code, _ := get(t, "http://"+d.front+"/after"); code != 200 {
		t.Fatal("GET after the rotation")
	}
	testwait.For(t, "a line in the new file", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), `"path":"/after"`)
	})
	if old, _ := os.ReadFile(logPath + ".1"); strings.Count(string(old), "\n") != 3 || strings.Contains(string(old), "/after") {
		t.Fatalf("the rotated file changed:\n%s", old)
	}

	st, _, _ := cli(t, dir, "-s", "sluice.sock", "--json", "status")
	var sr order.Response
	if err := json.Unmarshal([]byte(st), &sr); err != nil {
		t.Fatal(err)
	}
	if s := sr.Content.Status; s.MemoryBytes == 0 || s.Goroutines == 0 || s.BackendsUp != 1 || s.BackendsDown != 0 {
		t.Fatalf("status %+v", s)
	}
}
