//go:build linux

package park

import (
	"math/rand/v2"
	"testing"
	"time"
)

// expirer records wakes and expiries on two channels.
type expirer struct{ woke, expired chan struct{} }

func newExpirer() expirer {
	return expirer{make(chan struct{}, 4), make(chan struct{}, 4)}
}
func (e expirer) Wake()   { e.woke <- struct{}{} }
func (e expirer) Expire() { e.expired <- struct{}{} }

func TestDeadlineExpires(t *testing.T) {
	p := newPoller(t)
	_, _, rc := pair(t)
	e := newExpirer()
	start := time.Now()
	k, err := p.ParkUntil(rc, e, start.Add(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.expired:
	case <-e.woke:
		t.Fatal("woken instead of expired")
	case <-time.After(5 * time.Second):
		t.Fatal("not expired")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("expired after %v, before its deadline", d)
	}
	if n := p.Parked(); n != 0 {
		t.Fatalf("Parked = %d after expiry", n)
	}
	p.Unpark(rc, k)
	// The connection parks again after its Unpark.
	if _, err := p.ParkUntil(rc, e, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("park after expiry: %v", err)
	}
}

func TestWakeBeforeDeadline(t *testing.T) {
	p := newPoller(t)
	_, client, rc := pair(t)
	e := newExpirer()
	if _, err := p.ParkUntil(rc, e, time.Now().Add(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	client.Write([]byte("x"))
	select {
	case <-e.woke:
	case <-time.After(5 * time.Second):
		t.Fatal("not woken")
	}
	select {
	case <-e.expired:
		t.Fatal("expired after a wake")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestUnparkCancelsDeadline(t *testing.T) {
	p := newPoller(t)
	_, _, rc := pair(t)
	e := newExpirer()
	k, err := p.ParkUntil(rc, e, time.Now().Add(30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	p.Unpark(rc, k)
	select {
	case <-e.expired:
		t.Fatal("expired after Unpark")
	case <-e.woke:
		t.Fatal("woken after Unpark")
	case <-time.After(150 * time.Millisecond):
	}
	if len(p.timed) != 0 {
		t.Fatalf("%d deadlines left", len(p.timed))
	}
}

// TestDeadlinesNeverEarly: many parks with deadlines given in random order
// each expire exactly once, none before its deadline.
func TestDeadlinesNeverEarly(t *testing.T) {
	p := newPoller(t)
	const n = 50
	got := make(chan expiry, n)
	start := time.Now()
	for _, i := range rand.Perm(n) {
		_, _, rc := pair(t)
		at := start.Add(time.Duration(20+4*i) * time.Millisecond)
		if _, err := p.ParkUntil(rc, indexed{i, at, got}, at); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]bool{}
	for range n {
		select {
		case e := <-got:
			if e.early > 0 {
				t.Errorf("park %d expired %v before its deadline", e.i, e.early)
			}
			if seen[e.i] {
				t.Fatalf("park %d expired twice", e.i)
			}
			seen[e.i] = true
		case <-time.After(5 * time.Second):
			t.Fatal("not every park expired")
		}
	}
	select {
	case e := <-got:
		t.Fatalf("park %d expired twice", e.i)
	case <-time.After(50 * time.Millisecond):
	}
}

type expiry struct {
	i     int
	early time.Duration
}

type indexed struct {
	i   int
	at  time.Time
	out chan expiry
}

func (x indexed) Wake()   {}
func (x indexed) Expire() { x.out <- expiry{x.i, time.Until(x.at)} }

// TestHeapKeepsItsIndexes drives the deadline heap alone through random
// pushes and removals and checks its order and every waiter's index.
func TestHeapKeepsItsIndexes(t *testing.T) {
	p := &Poller{waiters: map[Key]waiter{}} // no file: arming is a no-op error
	r := rand.New(rand.NewPCG(1, 2))
	var live []Key
	next := Key(1)
	for step := range 5000 {
		if len(live) == 0 || r.IntN(3) > 0 {
			k := next
			next++
			p.waiters[k] = waiter{at: -1}
			p.timed.push(p, k, r.Int64N(1000))
			live = append(live, k)
		} else {
			j := r.IntN(len(live))
			p.forgetLocked(live[j])
			live = append(live[:j], live[j+1:]...)
		}
		if len(p.timed) != len(live) {
			t.Fatalf("step %d: %d deadlines for %d parks", step, len(p.timed), len(live))
		}
		for i, e := range p.timed {
			if p.waiters[e.k].at != i {
				t.Fatalf("step %d: key %d at %d, its waiter says %d", step, e.k, i, p.waiters[e.k].at)
			}
			if i > 0 && p.timed[(i-1)/2].when > e.when {
				t.Fatalf("step %d: heap order broken at %d", step, i)
			}
		}
	}
}
