package metrics

import (
	"testing"
	"time"
)

// TestHistogramBoundaries checks that a duration equal to a bound lands in
// that bound's bucket and one nanosecond more in the next.
func TestHistogramBoundaries(t *testing.T) {
	for i, b := range Bounds() {
		if got := bucketOf(b); got != i {
			t.Errorf("bucketOf(%v) = %d, want %d", b, got, i)
		}
		if got := bucketOf(b + 1); got != i+1 {
			t.Errorf("bucketOf(%v+1ns) = %d, want %d", b, got, i+1)
		}
		if got := bucketOf(b - 1); i > 0 && got != i {
			t.Errorf("bucketOf(%v-1ns) = %d, want %d", b, got, i)
		}
	}
	var h Histogram
	h.Observe(-time.Second)
	h.Observe(0)
	h.Observe(50 * time.Microsecond)
	h.Observe(50*time.Microsecond + 1)
	h.Observe(60 * time.Second)
	h.Observe(time.Hour)
	s := h.Snapshot()
	want := map[int]int64{0: 3, 1: 1, NumBounds - 1: 1, NumBounds: 1}
	for i, c := range s.Counts {
		if c != want[i] {
			t.Errorf("bucket %d = %d, want %d", i, c, want[i])
		}
	}
	// 0 + 0 + 50µs + 50µs (the extra ns truncated) + 60s + 1h.
	if got, want := s.SumMicros, int64(100+60e6+3600e6); got != want {
		t.Errorf("sum = %dµs, want %dµs", got, want)
	}
}

func TestBoundsIncrease(t *testing.T) {
	b := Bounds()
	if b[0] != 50*time.Microsecond || b[NumBounds-1] != 60*time.Second {
		t.Fatalf("bounds span %v to %v, want 50µs to 60s", b[0], b[NumBounds-1])
	}
	for i := 1; i < NumBounds; i++ {
		if b[i] <= b[i-1] {
			t.Errorf("bound %d (%v) not above bound %d (%v)", i, b[i], i-1, b[i-1])
		}
	}
}

func TestQuantile(t *testing.T) {
	var empty HistogramSnapshot
	if got := empty.Quantile(0.5); got != 0 {
		t.Errorf("quantile of nothing = %v, want 0", got)
	}
	var h Histogram
	// 100 observations in (1ms, 2.5ms]: the median interpolates to the
	// middle of that bucket.
	for range 100 {
		h.Observe(2 * time.Millisecond)
	}
	s := h.Snapshot()
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0, time.Millisecond},
		{0.5, 1750 * time.Microsecond},
		{0.9, 2350 * time.Microsecond},
		{1, 2500 * time.Microsecond},
	} {
		if got := s.Quantile(c.q); got != c.want {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	// 98 fast observations in [0, 50µs] and 2 above 60s: p50 is in the
	// first bucket, p99 saturates at the last bound.
	var h2 Histogram
	for range 98 {
		h2.Observe(10 * time.Microsecond)
	}
	h2.Observe(2 * time.Minute)
	h2.Observe(2 * time.Minute)
	s2 := h2.Snapshot()
	if got, want := s2.Quantile(0.5), 50*time.Microsecond*50/98; got != want {
		t.Errorf("p50 = %v, want %v", got, want)
	}
	if got := s2.Quantile(0.99); got != 60*time.Second {
		t.Errorf("p99 = %v, want 60s", got)
	}
}

func TestSnapshotSub(t *testing.T) {
	var h Histogram
	h.Observe(time.Millisecond)
	before := h.Snapshot()
	h.Observe(time.Second)
	h.Observe(time.Second)
	after := h.Snapshot()
	d := after.Sub(&before)
	if d.Count() != 2 || d.Counts[bucketOf(time.Second)] != 2 || d.SumMicros != 2e6 {
		t.Errorf("delta = %+v, want 2 observations of 1s", d)
	}
}
