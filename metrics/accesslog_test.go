package metrics

import (
	"strings"
	"testing"
)

// TestPrometheusAccessLog: the access log's counts are exported once set,
// and gone once unset.
func TestPrometheusAccessLog(t *testing.T) {
	r := NewRegistry()
	text, _ := scrape(t, r)
	if strings.Contains(text, "sluice_access_log_lines_total") {
		t.Fatal("access log counts exported before SetAccessLog")
	}
	n := AccessLogLines{Written: 7, Dropped: 3, Failed: 2}
	r.SetAccessLog(func() AccessLogLines { return n })
	_, fams := scrape(t, r)
	for result, want := range map[string]int64{"written": 7, "dropped": 3, "failed": 2} {
		if got := value(t, fams, "sluice_access_log_lines_total", map[string]string{"result": result}); got != float64(want) {
			t.Errorf("%s = %v, want %d", result, got, want)
		}
	}
	r.SetAccessLog(nil)
	if text, _ := scrape(t, r); strings.Contains(text, "sluice_access_log_lines_total") {
		t.Error("access log counts exported after SetAccessLog(nil)")
	}
}
