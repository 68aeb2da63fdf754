package session

import (
	"time"

	"github.com/sluiceproxy/sluice/listener"
)

// Parking: a connection silent for longer than Env.ParkAfter between
// requests leaves its goroutine and waits in the Env's poller (package
// internal/park), so that an idle keep-alive connection costs no stack.
// Three parties may end a parked state, and s.mu orders them: the poller's
// wake (bytes arrived: serve again in a new goroutine), the idle timer
// (keep-alive or request timeout: close) and a closer (the listener's
// drain or hard stop, or the Reclaimer making room for a new connection).
// Whoever moves the state out of parked owns the session.

// waker adapts a Session to park.Waker without exporting a method.
type waker Session

func (w *waker) Wake() { (*Session)(w).resume() }

// park hands an idle connection to the poller until deadline. It returns
// nil when the connection is parked (the caller's goroutine must then leave
// s alone), errClosing when the session was closed meanwhile, or the
// poller's error (the caller keeps waiting itself).
func (s *Session) park(deadline time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.state.CompareAndSwap(idle, parked) {
		return errClosing
	}
	k, err := s.env.park.Park(s.rc, (*waker)(s))
	if err != nil {
		s.state.Store(idle) // closers wait on s.mu, then see idle again
		return err
	}
	s.parkKey = k
	s.parkDeadline = listener.Mono(deadline)
	if s.parkTimer == nil {
		s.parkTimer = time.AfterFunc(time.Until(deadline), s.expire)
	} else {
		s.parkTimer.Reset(time.Until(deadline))
	}
	s.env.Parks.Add(1)
	return nil
}

// unparkLocked stops the idle timer and the poller's watch. s.mu is held.
func (s *Session) unparkLocked() {
	s.parkTimer.Stop()
	s.env.park.Unpark(s.rc, s.parkKey)
}

// resume serves a parked connection again once its client sent bytes (or
// hung up). It runs in a new goroutine started by the poller.
func (s *Session) resume() {
	s.mu.Lock()
	if !s.state.CompareAndSwap(parked, busy) {
		s.mu.Unlock()
		return // timed out or closed meanwhile
	}
	s.unparkLocked()
	s.woken = true
	s.mu.Unlock()
	s.run()
}

// expire closes a connection that stayed parked until its deadline. The
// timer is reused from park to park, so a late call from an earlier park
// finds the deadline not reached and does nothing.
func (s *Session) expire() {
	s.closeParked(true)
}

// closeParked ends a parked session and reports whether it did; when
// timedOut, only once its park deadline has passed.
func (s *Session) closeParked(timedOut bool) bool {
	s.mu.Lock()
	if timedOut && listener.Mono(time.Now()) < s.parkDeadline {
		s.mu.Unlock()
		return false
	}
	if !s.state.CompareAndSwap(parked, done) {
		s.mu.Unlock()
		return false
	}
	s.unparkLocked()
	s.mu.Unlock()
	s.finish()
	return true
}

// CloseBetweenRequests is CloseIfIdle for a connection answered at least
// once: a draining listener closes those, and lets a new connection send
// its first request (answered with Connection: close); see
// listener.HTTP.Drain.
func (s *Session) CloseBetweenRequests() bool {
	if !s.served.Load() {
		return false
	}
	return s.CloseIfIdle()
}

// CloseIfIdle closes the connection if it is between requests, waiting in
// its goroutine (which then ends the session) or parked (ended here). It
// reports whether it did. A busy session is left to finish its exchange.
func (s *Session) CloseIfIdle() bool {
	for {
		switch s.state.Load() {
		case idle:
			if s.state.CompareAndSwap(idle, done) {
				s.closeConn()
				return true
			}
		case parked:
			if s.closeParked(false) {
				return true
			}
		default:
			return false
		}
	}
}
