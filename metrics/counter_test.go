package metrics

import (
	"sync"
	"testing"
	"time"
)

// TestConcurrentCounts checks that counts made from many goroutines at once
// are exact.
func TestConcurrentCounts(t *testing.T) {
	const goroutines, each = 8, 10000
	var (
		c  Counter
		g  Gauge
		h  Histogram
		r  Responses
		wg sync.WaitGroup
	)
	for i := range goroutines {
		wg.Go(func() {
			for j := range each {
				c.Inc()
				c.Add(2)
				g.Inc()
				if j%2 == 0 {
					g.Dec()
				}
				h.Observe(time.Duration(i*each+j) * time.Microsecond)
				r.Inc(200 + 100*(j%4)) // 2xx to 5xx in turn
			}
		})
	}
	wg.Wait()
	if got, want := c.Load(), int64(goroutines*each*3); got != want {
		t.Errorf("counter = %d, want %d", got, want)
	}
	if got, want := g.Load(), int64(goroutines*each/2); got != want {
		t.Errorf("gauge = %d, want %d", got, want)
	}
	s := h.Snapshot()
	if got, want := s.Count(), int64(goroutines*each); got != want {
		t.Errorf("histogram count = %d, want %d", got, want)
	}
	n := int64(goroutines * each)
	if got, want := s.SumMicros, n*(n-1)/2; got != want {
		t.Errorf("histogram sum = %dµs, want %dµs", got, want)
	}
	for class, want := range []int64{0, n / 4, n / 4, n / 4, n / 4} {
		if got := r[class].Load(); got != want {
			t.Errorf("responses[%dxx] = %d, want %d", class+1, got, want)
		}
	}
}

func TestGaugeSetAndAdd(t *testing.T) {
	var g Gauge
	g.Set(7)
	g.Add(-10)
	if got := g.Load(); got != -3 {
		t.Errorf("gauge = %d, want -3", got)
	}
}

func TestResponsesClasses(t *testing.T) {
	var r Responses
	for _, status := range []int{100, 199, 200, 204, 301, 404, 499, 500, 503, 599, 0, 99, 600, 1000, -200} {
		r.Inc(status)
	}
	for class, want := range []int64{2, 2, 1, 2, 3} {
		if got := r[class].Load(); got != want {
			t.Errorf("responses[%dxx] = %d, want %d", class+1, got, want)
		}
	}
}
