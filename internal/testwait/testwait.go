// Package testwait waits, in tests, for a condition that other goroutines
// bring about (a worker parked, a log line written), with a bound.
package testwait

import (
	"sync"
	"testing"
	"time"
)

// Bound is how long For waits.
const Bound = 5 * time.Second

// For polls cond every millisecond until it holds, and fails tb, naming
// what it waited for, when it has not after Bound.
func For(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(Bound); !cond(); {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", Bound, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Group waits for wg, and fails tb, naming what it waited for, when wg
// has not ended after Bound (the goroutine waiting on wg then stays).
func Group(tb testing.TB, what string, wg *sync.WaitGroup) {
	tb.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(Bound):
		tb.Fatalf("waited %v for %s", Bound, what)
	}
}
