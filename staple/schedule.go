package staple

import "time"

// Options tune a Manager; zero fields take the defaults.
type Options struct {
	// Timeout bounds one fetch (connect, request, response). Default 10 s.
	Timeout time.Duration
	// MinRetry is the wait after a first failure; it doubles with each
	// failure in a row up to MaxRetry. It is also the least wait between
	// two fetches. Defaults 1 minute and 1 hour.
	MinRetry, MaxRetry time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MinRetry <= 0 {
		o.MinRetry = time.Minute
	}
	if o.MaxRetry < o.MinRetry {
		o.MaxRetry = max(time.Hour, o.MinRetry)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Window is the validity of the response stapled now: thisUpdate and
// nextUpdate. The zero Window means none is stapled.
type Window struct{ This, Next time.Time }

// Next is when to fetch again, at now, with w the response stapled and
// failures the fetches that failed in a row since the last good one:
//   - no failure: at the middle of w (RFC 5019 §4 expects a refresh well
//     before nextUpdate), but not before now+MinRetry;
//   - failures: MinRetry·2^(failures−1), at most MaxRetry, but no later
//     than w's nextUpdate while it is ahead (then the staple is dropped
//     and the fetch tried again).
//
// It is a pure function of its arguments.
func Next(now time.Time, w Window, failures int, o Options) time.Time {
	o = o.withDefaults()
	if failures == 0 && !w.Next.IsZero() {
		at := w.This.Add(w.Next.Sub(w.This) / 2)
		return latest(at, now.Add(o.MinRetry))
	}
	wait := o.MinRetry
	for i := 1; i < failures && wait < o.MaxRetry; i++ {
		wait *= 2
	}
	wait = min(wait, o.MaxRetry)
	at := now.Add(wait)
	if !w.Next.IsZero() && w.Next.After(now) && w.Next.Before(at) {
		at = w.Next
	}
	return at
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
