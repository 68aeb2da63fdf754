package acme

import "time"

// Policy tunes the Schedule; zero fields take the defaults.
type Policy struct {
	// MinRetry is the wait after a first failure; each failure in a row
	// doubles it, up to MaxRetry. Defaults 1 minute and 1 hour.
	MinRetry, MaxRetry time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.MinRetry <= 0 {
		p.MinRetry = time.Minute
	}
	if p.MaxRetry < p.MinRetry {
		p.MaxRetry = max(time.Hour, p.MinRetry)
	}
	return p
}

// Status is what the schedule of one host name knows: the validity of
// the certificate served for it (zero without one) and the attempts that
// failed since the last success. It is a value: Succeeded and Failed
// return the next one.
type Status struct {
	NotBefore, NotAfter time.Time
	// Failures counts the attempts that failed in a row; LastFailure is
	// when the last of them ended.
	Failures    int
	LastFailure time.Time
}

// Succeeded is the status after a certificate valid from notBefore to
// notAfter was obtained (or loaded from disk): no failure.
func (s Status) Succeeded(notBefore, notAfter time.Time) Status {
	return Status{NotBefore: notBefore, NotAfter: notAfter}
}

// Failed is the status after an attempt that failed at now; the
// certificate served (if any) stays.
func (s Status) Failed(now time.Time) Status {
	s.Failures++
	s.LastFailure = now
	return s
}

// RenewAt is when a certificate valid from notBefore to notAfter is due
// for renewal: two thirds into its lifetime (day 60 of Let's Encrypt's 90,
// as certbot and Caddy do), leaving a third to retry failures in.
func RenewAt(notBefore, notAfter time.Time) time.Time {
	return notBefore.Add(notAfter.Sub(notBefore) * 2 / 3)
}

// Next is when the next attempt is due for s:
//   - after failures: LastFailure + MinRetry·2^(Failures−1), at most
//     MaxRetry after it (the certificate served, if any, stays until a
//     success replaces it);
//   - with a certificate: RenewAt of its validity;
//   - with neither: the zero time, meaning now.
//
// It is a pure function of its arguments.
func Next(s Status, p Policy) time.Time {
	p = p.withDefaults()
	if s.Failures > 0 {
		return s.LastFailure.Add(Backoff(s.Failures, p))
	}
	if s.NotAfter.IsZero() {
		return time.Time{}
	}
	return RenewAt(s.NotBefore, s.NotAfter)
}

// Backoff is the wait after failures failed attempts in a row (at least
// one): MinRetry doubled failures−1 times, capped at MaxRetry.
func Backoff(failures int, p Policy) time.Duration {
	p = p.withDefaults()
	wait := p.MinRetry
	for i := 1; i < failures && wait < p.MaxRetry; i++ {
		wait *= 2
	}
	return min(wait, p.MaxRetry)
}
