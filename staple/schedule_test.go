package staple_test

import (
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/staple"
)

func TestNext(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	week := staple.Window{This: t0, Next: t0.Add(7 * day)}
	o := staple.Options{} // defaults: 1 minute doubling to 1 hour
	cases := []struct {
		name     string
		now      time.Time
		w        staple.Window
		failures int
		want     time.Time
	}{
		{"good: half of the window", t0.Add(time.Minute), week, 0, t0.Add(84 * time.Hour)},
		{"good but already past half: the least wait", t0.Add(5 * day), week, 0, t0.Add(5*day + time.Minute)},
		{"first failure, none stapled", t0, staple.Window{}, 1, t0.Add(time.Minute)},
		{"third failure", t0, staple.Window{}, 3, t0.Add(4 * time.Minute)},
		{"backoff capped", t0, staple.Window{}, 30, t0.Add(time.Hour)},
		{"failure: keep until the staple expires, wake then", t0.Add(7*day - 30*time.Second), week, 4, t0.Add(7 * day)},
		{"failure: staple ahead of the backoff", t0.Add(4 * day), week, 2, t0.Add(4*day + 2*time.Minute)},
		{"failure after expiry", t0.Add(8 * day), week, 1, t0.Add(8*day + time.Minute)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := staple.Next(c.now, c.w, c.failures, o); !got.Equal(c.want) {
				t.Fatalf("Next = %s, want %s", got, c.want)
			}
		})
	}
	short := staple.Options{MinRetry: 100 * time.Millisecond, MaxRetry: time.Second}
	if got := staple.Next(t0, staple.Window{}, 10, short); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("short options: Next = %s", got)
	}
}
