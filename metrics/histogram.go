package metrics

import (
	"sync/atomic"
	"time"
)

// NumBounds is the number of finite bucket bounds of a [Histogram].
const NumBounds = 19

// NumBuckets is the number of buckets of a [Histogram]: one per bound, plus
// the bucket of the durations above the last bound.
const NumBuckets = NumBounds + 1

// bounds are the bucket upper bounds, three per decade (1, 2.5, 5) from 50µs
// to 25s, then 60s: readable `le` labels that cover a fast local backend as
// well as a request stalled until a timeout.
var bounds = [NumBounds]time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
	10 * time.Second, 25 * time.Second, 60 * time.Second,
}

// Bounds returns the inclusive upper bounds of the histogram buckets, in
// increasing order: bucket i holds the durations d with
// Bounds()[i-1] < d <= Bounds()[i] (from 0 for i = 0), and bucket NumBounds
// those above the last bound (60s).
func Bounds() [NumBounds]time.Duration { return bounds }

// Histogram counts durations in fixed buckets (see [Bounds]) and sums them.
// The zero value is empty and ready to use; a Histogram must not be copied
// after first use. Observe is safe for concurrent use, takes no lock and
// allocates nothing.
type Histogram struct {
	buckets [NumBuckets]atomic.Int64
	// sum is in microseconds, so that it lasts: an int64 of nanoseconds
	// would overflow after 292 years of observed time, which a busy proxy
	// summing long tunnels reaches in weeks.
	sum atomic.Int64
}

// Observe records one duration. A negative duration counts as zero. The sum
// accumulates whole microseconds (each observation truncated), so it is
// exact to within 1µs per observation.
func (h *Histogram) Observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.buckets[bucketOf(d)].Add(1)
	h.sum.Add(int64(d / time.Microsecond))
}

// bucketOf returns the index of the bucket that holds d: the first bound not
// below d, or NumBounds.
func bucketOf(d time.Duration) int {
	lo, hi := 0, NumBounds
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if d <= bounds[m] {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// Snapshot reads the histogram. Its count is the sum of its bucket counts, so
// the two always agree; the sum is read separately and may include an
// observation whose bucket count was read before it landed.
func (h *Histogram) Snapshot() HistogramSnapshot {
	var s HistogramSnapshot
	for i := range h.buckets {
		s.Counts[i] = h.buckets[i].Load()
	}
	s.SumMicros = h.sum.Load()
	return s
}

// HistogramSnapshot is a histogram's content at one moment.
type HistogramSnapshot struct {
	// Counts holds the number of observations in each bucket (not
	// cumulative); see [Bounds].
	Counts [NumBuckets]int64
	// SumMicros is the sum of the observed durations in microseconds.
	SumMicros int64
}

// Count is the number of observations.
func (s *HistogramSnapshot) Count() int64 {
	var n int64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Sub returns the observations of s that prev had not seen: s minus prev,
// bucket by bucket. prev must be an earlier snapshot of the same histogram.
func (s *HistogramSnapshot) Sub(prev *HistogramSnapshot) HistogramSnapshot {
	var d HistogramSnapshot
	for i := range s.Counts {
		d.Counts[i] = s.Counts[i] - prev.Counts[i]
	}
	d.SumMicros = s.SumMicros - prev.SumMicros
	return d
}

// Quantile estimates the q-quantile (0 <= q <= 1) of the observations, as
// Prometheus's histogram_quantile does: it finds the bucket holding the
// observation of rank q×count and interpolates linearly between the bucket's
// bounds (from 0 for the first bucket). The estimate is within the bucket
// that holds the true quantile, so it is off by at most the bucket's width;
// observations above the last bound (60s) are reported as 60s. It returns 0
// when there is no observation.
func (s *HistogramSnapshot) Quantile(q float64) time.Duration {
	total := s.Count()
	if total == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := q * float64(total)
	var before int64
	for i, c := range s.Counts {
		if c == 0 || float64(before+c) < rank {
			before += c
			continue
		}
		if i == NumBounds {
			return bounds[NumBounds-1]
		}
		var lower time.Duration
		if i > 0 {
			lower = bounds[i-1]
		}
		frac := (rank - float64(before)) / float64(c)
		return lower + time.Duration(frac*float64(bounds[i]-lower))
	}
	return bounds[NumBounds-1] // not reached: rank <= total
}
