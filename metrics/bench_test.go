package metrics

import (
	"sync"
	"testing"
	"time"
)

func BenchmarkCounterAdd(b *testing.B) {
	var c Counter
	b.ReportAllocs()
	for b.Loop() {
		c.Add(1)
	}
}

func BenchmarkHistogramObserve(b *testing.B) {
	var h Histogram
	d := []time.Duration{30 * time.Microsecond, 2 * time.Millisecond, 40 * time.Millisecond, 3 * time.Second}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Observe(d[i&3])
		i++
	}
}

// BenchmarkCounterParallel increments one shared counter from every
// goroutine: the cost of a contended atomic add.
func BenchmarkCounterParallel(b *testing.B) {
	var c Counter
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
		}
	})
}

// BenchmarkMutexCounterParallel is the locked counter that Counter avoids,
// for comparison with BenchmarkCounterParallel.
func BenchmarkMutexCounterParallel(b *testing.B) {
	var (
		mu sync.Mutex
		n  int64
	)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			mu.Unlock()
		}
	})
}

// BenchmarkRequestParallel counts what one proxied request counts, on
// shared listener, cluster and backend sets, from every goroutine.
func BenchmarkRequestParallel(b *testing.B) {
	r := NewRegistry()
	l := r.AddListener("127.0.0.1:8080")
	c := r.AddCluster("shop")
	be := r.AddBackend("shop", "shop-1")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := 3 * time.Millisecond
		for pb.Next() {
			l.Requests.Inc()
			c.Requests.Inc()
			be.Requests.Inc()
			be.InFlight.Inc()
			be.BytesSent.Add(400)
			be.ResponseTime.Observe(d)
			be.BytesReceived.Add(2000)
			be.Responses.Inc(200)
			be.InFlight.Dec()
			c.Responses.Inc(200)
			c.ResponseTime.Observe(d)
			c.RequestTime.Observe(d)
			l.Responses.Inc(200)
			l.BytesIn.Add(400)
			l.BytesOut.Add(2000)
			l.RequestTime.Observe(d)
		}
	})
}
