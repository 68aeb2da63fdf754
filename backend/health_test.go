package backend

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/order"
)

// fakeEnv is an Env with a settable clock that records events.
type fakeEnv struct {
	mu     sync.Mutex
	now    time.Time
	events []order.Event
}

func newFakeEnv() *fakeEnv { return &fakeEnv{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (f *fakeEnv) env() *Env {
	return &Env{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
		Events: func(e order.Event) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.events = append(f.events, e)
		},
	}
}

func (f *fakeEnv) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

// kinds returns the kinds of the events so far, with the backend id, and
// forgets them.
func (f *fakeEnv) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		out = append(out, string(e.Kind)+":"+e.BackendID)
	}
	f.events = nil
	return out
}

// closedAddr is a loopback address nothing listens on: connects are refused.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// flipServer is a loopback listener that can be stopped and started
// again on the same address.
type flipServer struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	ln   net.Listener
}

func newFlipServer(t *testing.T) *flipServer {
	f := &flipServer{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.serve(ln)
	t.Cleanup(f.stop)
	return f
}

func (f *flipServer) serve(ln net.Listener) {
	f.mu.Lock()
	f.ln = ln
	f.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

func (f *flipServer) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ln != nil {
		f.ln.Close()
		f.ln = nil
	}
}

func (f *flipServer) start() {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.serve(ln)
}

// TestPassiveHealth: refused connects put a backend in backoff (skipped
// until its wait is over, then one trial request at a time), then down (no
// request at all, so a cluster whose backends are all down answers at
// once); a recovery probe brings it back when it answers again. Events say
// so, for the backend and for the cluster.
func TestPassiveHealth(t *testing.T) {
	fe := newFakeEnv()
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c"}}, fe.env())
	defer c.Close()
	good := newFlipServer(t)
	dead := closedAddr(t)
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "good", Address: good.addr}, 4))
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "dead", Address: dead}, 4))
	gb, bad := c.Backends()[0], c.Backends()[1]
	ctx := context.Background()

	if _, err := bad.Dial(ctx, time.Second); err == nil {
		t.Fatal("dial of a closed port worked")
	}
	if bad.Status() != health.Backoff {
		t.Fatalf("after one failure: %v", bad.Status())
	}
	for range 20 {
		if b := pick(c, nil); b != gb {
			t.Fatalf("picked %s while it is in backoff", b.Config.ID)
		}
	}
	// Its wait (at most 1s with jitter) is over: one trial, not two.
	fe.advance(time.Second)
	var trials int
	for range 4 {
		if b, trial := c.Pick(gb); b == bad {
			if !trial {
				t.Fatal("a backend in backoff was picked without a trial")
			}
			trials++
		}
	}
	if trials != 1 {
		t.Fatalf("%d trials at once, want 1", trials)
	}
	// The trial's dial fails, and another: down, and never picked.
	bad.Dial(ctx, time.Second)
	bad.Dial(ctx, time.Second)
	if bad.Status() != health.Down {
		t.Fatalf("after 3 failures: %v", bad.Status())
	}
	fe.advance(time.Hour)
	if b, _ := c.Pick(gb); b != nil {
		t.Fatalf("picked %s, down", b.Config.ID)
	}
	if got := fe.take(); !equal(got, []string{"backend_down:dead"}) {
		t.Fatalf("events %v", got)
	}
	// The good one fails too: the cluster is down, and Pick says so at once.
	good.stop()
	for range 3 {
		gb.Dial(ctx, time.Second)
	}
	if b, _ := c.Pick(nil); b != nil {
		t.Fatalf("picked %s with every backend down", b.Config.ID)
	}
	if got := fe.take(); !equal(got, []string{"backend_down:good", "cluster_down:"}) {
		t.Fatalf("events %v", got)
	}
	// It answers again; once its wait is over, the recovery probe finds it.
	good.start()
	fe.advance(time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for gb.Status() != health.Up {
		if time.Now().After(deadline) {
			t.Fatal("the recovery probe did not bring the backend up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if b, trial := c.Pick(nil); b != gb || trial {
		t.Fatalf("after recovery picked %v (trial %v)", b, trial)
	}
	if got := fe.take(); !equal(got, []string{"backend_up:good", "cluster_recovered:"}) {
		t.Fatalf("events %v", got)
	}
	st, failures, check := gb.HealthInfo()
	if st != health.Up || failures != 0 || check != "" {
		t.Fatalf("health info %v %d %q", st, failures, check)
	}
}

// TestDrainedEvent: a removed backend is drained when its last request
// ends, or at once when it has none.
func TestDrainedEvent(t *testing.T) {
	fe := newFakeEnv()
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c"}}, fe.env())
	c.Add(NewBackend(be("busy", 100, false), 4))
	c.Add(NewBackend(be("idle", 100, false), 4))
	busy := c.Backends()[0]
	busy.Acquire()
	busy.Acquire()
	c.Remove("busy")
	c.Remove("idle")
	if got := fe.take(); !equal(got, []string{"backend_drained:idle"}) {
		t.Fatalf("events after removal: %v", got)
	}
	busy.Release()
	if got := fe.take(); len(got) != 0 {
		t.Fatalf("drained with a request left: %v", got)
	}
	busy.Release()
	if got := fe.take(); !equal(got, []string{"backend_drained:busy"}) {
		t.Fatalf("events after the last release: %v", got)
	}
}

// TestPickSticky: the sticky id (default the backend id) finds its
// backend while it is usable.
func TestPickSticky(t *testing.T) {
	fe := newFakeEnv()
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c", StickySession: true}}, fe.env())
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "a", Address: closedAddr(t)}, 4))
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: "127.0.0.1:2", StickyID: "bee"}, 4))
	if b, _ := c.PickSticky([]byte("a")); b == nil || b.Config.ID != "a" {
		t.Fatalf("default sticky id: %v", b)
	}
	if b, _ := c.PickSticky([]byte("bee")); b == nil || b.Config.ID != "b" {
		t.Fatalf("explicit sticky id: %v", b)
	}
	if b, _ := c.PickSticky([]byte("b")); b != nil {
		t.Fatalf("the id of a backend with its own sticky id matched: %v", b.Config.ID)
	}
	if b, _ := c.PickSticky([]byte("nope")); b != nil {
		t.Fatalf("unknown id matched %v", b.Config.ID)
	}
	c.Backends()[0].Dial(context.Background(), time.Second) // refused: backoff
	if b, _ := c.PickSticky([]byte("a")); b != nil {
		t.Fatal("sticky pick of a backend in backoff")
	}
}

// TestPickSkipsUnhealthyAllocatesNothing: with a backend in backoff, picks
// still allocate nothing.
func TestPickSkipsUnhealthyAllocatesNothing(t *testing.T) {
	fe := newFakeEnv()
	for _, alg := range []order.LoadBalancing{order.RoundRobin, order.Random, order.LeastLoaded, order.PowerOfTwo} {
		c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c", LoadBalancing: alg}}, fe.env())
		c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "a", Address: closedAddr(t)}, 4))
		c.Add(NewBackend(be("b", 100, false), 4))
		c.Add(NewBackend(be("c", 100, false), 4))
		c.Backends()[0].Dial(context.Background(), time.Second)
		if n := testing.AllocsPerRun(1000, func() {
			if b := pick(c, nil); b == nil || b.Config.ID == "a" {
				t.Fatalf("%s picked %v", alg, b)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocs per pick", alg, n)
		}
	}
}

// TestBackupTakesOverFromDownPrimaries: backups serve only while no primary
// is usable, and hand back when one is.
func TestBackupTakesOverFromDownPrimaries(t *testing.T) {
	fe := newFakeEnv()
	c := NewCluster(&Settings{Cluster: order.Cluster{ID: "c"}}, fe.env())
	defer c.Close()
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "p", Address: closedAddr(t)}, 4))
	c.Add(NewBackend(order.Backend{ClusterID: "c", ID: "spare", Address: "127.0.0.1:2", Backup: true}, 4))
	primary := c.Backends()[0]
	if b := pick(c, nil); b != primary {
		t.Fatalf("picked %s with the primary up", b.Config.ID)
	}
	primary.Dial(context.Background(), time.Second) // refused: backoff
	for range 10 {
		if b := pick(c, nil); b == nil || b.Config.ID != "spare" {
			t.Fatalf("picked %v with the primary in backoff", b)
		}
	}
	fe.advance(time.Second) // the primary's wait is over: it takes a trial
	if b, trial := c.Pick(nil); b != primary || !trial {
		t.Fatalf("after the wait picked %v (trial %v), want the primary's trial", b, trial)
	}
}
