package metrics

import (
	"strings"
	"testing"
)

// TestPrometheusSpans: the tracer's counts are exported once set, and gone
// once unset.
func TestPrometheusSpans(t *testing.T) {
	r := NewRegistry()
	if text, _ := scrape(t, r); strings.Contains(text, "sluice_tracing_spans_total") {
		t.Fatal("span counts exported before SetSpans")
	}
	n := Spans{Exported: 9, Dropped: 4, Failed: 1}
	r.SetSpans(func() Spans { return n })
	_, fams := scrape(t, r)
	for result, want := range map[string]int64{"exported": 9, "dropped": 4, "failed": 1} {
		if got := value(t, fams, "sluice_tracing_spans_total", map[string]string{"result": result}); got != float64(want) {
			t.Errorf("%s = %v, want %d", result, got, want)
		}
	}
	r.SetSpans(nil)
	if text, _ := scrape(t, r); strings.Contains(text, "sluice_tracing_spans_total") {
		t.Error("span counts exported after SetSpans(nil)")
	}
}
