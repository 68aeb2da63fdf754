package workers

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// waitIdle waits until n workers wait in p.
func waitIdle[T comparable](t *testing.T, p *Pool[T], n int) {
	t.Helper()
	testwait.For(t, fmt.Sprintf("%d workers to wait", n), func() bool { return p.Idle() == n })
}

// start runs n workers that record what they get into got and end when
// Wait says so.
func start(p *Pool[*int], n int, stop func() bool, got chan<- int, wg *sync.WaitGroup) {
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				v, ok := p.Wait(stop)
				if !ok {
					return
				}
				got <- *v
			}
		}()
	}
}

// TestHandAndRetire: a value goes to a waiting worker, none when none
// waits; at most max wait; Retire ends the workers never all needed since
// the last Retire (all of them by the second call when nothing was
// handed); Close ends the rest and every later Wait.
func TestHandAndRetire(t *testing.T) {
	p := New[*int](3)
	one := 1
	if p.Hand(&one) {
		t.Fatal("a value was handed with no worker waiting")
	}
	got := make(chan int, 10)
	var wg sync.WaitGroup
	start(p, 3, nil, got, &wg)
	waitIdle(t, p, 3)
	var extra sync.WaitGroup
	start(p, 1, nil, got, &extra) // one too many: it ends at once
	extra.Wait()
	if !p.Hand(&one) || <-got != 1 {
		t.Fatal("the value did not reach a waiting worker")
	}
	waitIdle(t, p, 3)
	// Since the pool began, as few as 0 waited: nothing to retire.
	if n := p.Retire(); n != 3 {
		t.Fatalf("Retire left %d, want 3", n)
	}
	two := 2
	if !p.Hand(&two) || <-got != 2 { // 2 waited at the least
		t.Fatal("the second value did not reach a worker")
	}
	waitIdle(t, p, 3)
	if n := p.Retire(); n != 1 {
		t.Fatalf("Retire left %d, want 1 (2 were never needed)", n)
	}
	if n := p.Retire(); n != 0 {
		t.Fatalf("Retire left %d, want 0 (the last was not needed either)", n)
	}
	wg.Wait() // every worker ended
	start(p, 1, nil, got, &wg)
	waitIdle(t, p, 1)
	p.Close()
	wg.Wait()
	if _, ok := p.Wait(nil); ok {
		t.Fatal("Wait went on after Close")
	}
}

// TestStopThenEndIdle: an owner that makes stop true, then calls EndIdle,
// ends every worker, however their Waits interleave with it; values handed
// meanwhile are all served. Run with -race -count=20.
func TestStopThenEndIdle(t *testing.T) {
	for range 50 {
		p := New[*int](8)
		var stopping atomic.Bool
		got := make(chan int, 1000)
		var wg sync.WaitGroup
		start(p, 8, stopping.Load, got, &wg)
		handed := 0
		v := 7
		for range 100 {
			if p.Hand(&v) {
				handed++
			}
		}
		stopping.Store(true)
		p.EndIdle()
		testwait.Group(t, "every worker to end after stop and EndIdle", &wg)
		if len(got) != handed {
			t.Fatalf("%d values served, %d handed", len(got), handed)
		}
	}
}
