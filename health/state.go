package health

import "time"

// Status is what traffic may do with a backend.
type Status uint8

const (
	// Up: the backend takes traffic.
	Up Status = iota
	// Backoff: recent connects failed; the backend is skipped until its
	// retry time, then takes one trial request at a time.
	Backoff
	// Down: too many connects failed in a row, or the active check failed
	// Fall times. A down backend takes no request at all, so that a cluster
	// whose backends are all down answers at once; a connect made for no
	// request (a recovery probe, at its retry time) or the active check
	// brings it back.
	Down
)

func (s Status) String() string {
	switch s {
	case Up:
		return "up"
	case Backoff:
		return "backoff"
	case Down:
		return "down"
	}
	return "unknown"
}

// Policy holds the thresholds of passive health. The zero value means the
// defaults.
type Policy struct {
	// MaxFailures is the number of failed connects in a row that marks a
	// backend down. Default 3.
	MaxFailures int
	// BackoffBase is the wait after the first failure; each further failure
	// doubles it. Default 1s.
	BackoffBase time.Duration
	// BackoffMax caps the wait. Default 30s.
	BackoffMax time.Duration
}

// The Policy defaults.
const (
	DefaultMaxFailures = 3
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 30 * time.Second
)

func (p Policy) withDefaults() Policy {
	if p.MaxFailures <= 0 {
		p.MaxFailures = DefaultMaxFailures
	}
	if p.BackoffBase <= 0 {
		p.BackoffBase = DefaultBackoffBase
	}
	if p.BackoffMax <= 0 {
		p.BackoffMax = DefaultBackoffMax
	}
	return p
}

// With returns p with the fields q sets (non-zero) in place of its own,
// defaults applied; a wait base beyond the cap raises the cap to it, so
// that a longer first wait given alone is not cut back to the default cap.
func (p Policy) With(q Policy) Policy {
	if q.MaxFailures > 0 {
		p.MaxFailures = q.MaxFailures
	}
	if q.BackoffBase > 0 {
		p.BackoffBase = q.BackoffBase
	}
	if q.BackoffMax > 0 {
		p.BackoffMax = q.BackoffMax
	}
	p = p.withDefaults()
	p.BackoffMax = max(p.BackoffMax, p.BackoffBase)
	return p
}

// Backoff is the wait after the n-th failure in a row (n ≥ 1), with jitter
// in [0, 1) taking off up to half of it so that proxies and backends do not
// retry in step: base·2^(n-1), capped at max, times 1 - jitter/2.
func (p Policy) Backoff(n int, jitter float64) time.Duration {
	p = p.withDefaults()
	d := p.BackoffBase
	for i := 1; i < n && d < p.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, p.BackoffMax)
	return d - time.Duration(float64(d)*jitter/2)
}

// Thresholds are the rise and fall counts of active checks; zero means the
// defaults (2 and 3).
type Thresholds struct {
	Rise, Fall int
}

func (t Thresholds) withDefaults() Thresholds {
	if t.Rise <= 0 {
		t.Rise = 2
	}
	if t.Fall <= 0 {
		t.Fall = 3
	}
	return t
}

// Transition is a change of Status; From == To means none.
type Transition struct {
	From, To Status
}

// Changed reports whether the status changed.
func (t Transition) Changed() bool { return t.From != t.To }

// State is the health of one backend. The zero value is a backend that is
// up, with no failure and no check result yet.
type State struct {
	status   Status
	failures int       // failed connects in a row
	retryAt  time.Time // when a backend in backoff or down may be tried
	// checkDown is set while the active check holds the backend down.
	checkDown bool
	checkRun  int // good (> 0) or failed (< 0) checks in a row
	checked   bool
	lastCheck bool // result of the last check, when checked
}

// Status is the current status.
func (s *State) Status() Status { return s.status }

// Failures is the number of failed connects in a row.
func (s *State) Failures() int { return s.failures }

// RetryAt is when a backend in backoff or down by connects takes a trial
// request; zero when up.
func (s *State) RetryAt() time.Time { return s.retryAt }

// HeldByCheck reports whether the active check holds the backend down
// (then only the check brings it up).
func (s *State) HeldByCheck() bool { return s.checkDown }

// LastCheck reports the last active check's result, and whether there was
// one.
func (s *State) LastCheck() (ok, checked bool) { return s.lastCheck, s.checked }

// Usable reports whether a request may be sent now, and whether it would be
// a trial (the backend is in backoff and its wait has passed: the caller
// lets one trial run at a time). A down backend is never usable.
func (s *State) Usable(now time.Time) (ok, trial bool) {
	switch {
	case s.status == Up:
		return true, false
	case s.status == Backoff && !now.Before(s.retryAt):
		return true, true
	}
	return false, false
}

// ConnectFailed records a refused or timed-out connect at now; jitter is a
// draw in [0, 1).
func (s *State) ConnectFailed(now time.Time, p Policy, jitter float64) Transition {
	p = p.withDefaults()
	from := s.status
	s.failures++
	s.retryAt = now.Add(p.Backoff(s.failures, jitter))
	if s.failures >= p.MaxFailures {
		s.status = Down
	} else if s.status == Up {
		s.status = Backoff
	}
	return Transition{from, s.status}
}

// ConnectSucceeded records a completed connect: the backend is up, unless
// the active check holds it down.
func (s *State) ConnectSucceeded() Transition {
	from := s.status
	s.failures = 0
	s.retryAt = time.Time{}
	if !s.checkDown {
		s.status = Up
	}
	return Transition{from, s.status}
}

// CheckResult records an active check. Fall failures in a row mark the
// backend down; Rise successes in a row bring a backend the check holds
// down back up, and clear the failures of passive health (the check proved
// the backend answers).
func (s *State) CheckResult(ok bool, t Thresholds) Transition {
	t = t.withDefaults()
	from := s.status
	s.checked, s.lastCheck = true, ok
	if ok {
		s.checkRun = max(s.checkRun, 0) + 1
		if s.checkDown && s.checkRun >= t.Rise {
			s.checkDown = false
			s.failures, s.retryAt = 0, time.Time{}
			s.status = Up
		} else if !s.checkDown && s.status != Up && s.checkRun >= t.Rise {
			s.failures, s.retryAt = 0, time.Time{}
			s.status = Up
		}
	} else {
		s.checkRun = min(s.checkRun, 0) - 1
		if !s.checkDown && -s.checkRun >= t.Fall {
			s.checkDown = true
			s.status = Down
		}
	}
	return Transition{from, s.status}
}

// CheckRemoved forgets the active check: a backend it held down is up.
func (s *State) CheckRemoved() Transition {
	from := s.status
	if s.checkDown {
		s.checkDown = false
		if s.failures == 0 {
			s.status = Up
		} else {
			s.status = Backoff
		}
	}
	s.checkRun, s.checked = 0, false
	return Transition{from, s.status}
}
