package acme_test

import (
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/acme"
)

// TestScheduleLifecycle walks one host name through its life by a
// made-up clock: obtained at once, renewed at two thirds of the
// lifetime, failures backing off 1, 2, 4 ... minutes up to an hour, the
// certificate kept meanwhile, a success starting over.
func TestScheduleLifecycle(t *testing.T) {
	p := acme.Policy{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var s acme.Status
	if at := acme.Next(s, p); !at.IsZero() {
		t.Fatalf("without a certificate: %v, want now (zero)", at)
	}
	s = s.Failed(t0)
	if at := acme.Next(s, p); !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first failure without a certificate: %v", at)
	}
	day := 24 * time.Hour
	s = s.Succeeded(t0, t0.Add(90*day))
	if at := acme.Next(s, p); !at.Equal(t0.Add(60 * day)) {
		t.Fatalf("renewal of a 90-day certificate at %v, want day 60", at)
	}
	now := t0.Add(60 * day)
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i, w := range want {
		s = s.Failed(now)
		if s.Failures != i+1 || s.NotAfter != t0.Add(90*day) {
			t.Fatalf("failure %d: %+v (the certificate must stay)", i+1, s)
		}
		at := acme.Next(s, p)
		if got := at.Sub(now); got != w*time.Minute {
			t.Fatalf("failure %d: retry after %v, want %v", i+1, got, w*time.Minute)
		}
		now = at
	}
	s = s.Succeeded(now, now.Add(6*day))
	if s.Failures != 0 || !acme.Next(s, p).Equal(now.Add(4*day)) {
		t.Fatalf("after a success: %+v, next %v", s, acme.Next(s, p))
	}
}

// TestBackoffBounds checks the policy's own bounds and a huge count.
func TestBackoffBounds(t *testing.T) {
	p := acme.Policy{MinRetry: 100 * time.Millisecond, MaxRetry: time.Second}
	for f, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 1 << 20: time.Second} {
		if got := acme.Backoff(f, p); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", f, got, want)
		}
	}
	if got := acme.Backoff(3, acme.Policy{MinRetry: time.Hour}); got != time.Hour {
		t.Errorf("MaxRetry below MinRetry: %v", got) // MaxRetry defaults to max(1h, MinRetry): no growth
	}
}

// TestRenewAt is two thirds into the lifetime, whatever it is.
func TestRenewAt(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for life, want := range map[time.Duration]time.Duration{3 * time.Second: 2 * time.Second,
		90 * 24 * time.Hour: 60 * 24 * time.Hour, 7 * 24 * time.Hour: 112 * time.Hour} {
		if got := acme.RenewAt(t0, t0.Add(life)).Sub(t0); got != want {
			t.Errorf("RenewAt of %v: %v, want %v", life, got, want)
		}
	}
}
