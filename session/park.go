package session

import (
	"time"
)

// Parking: a connection silent for longer than Env.ParkAfter between
// requests leaves its goroutine and waits in the Env's poller (package
// internal/park), so that an idle keep-alive connection costs no stack.
// Three parties may end a parked state, and the lock of s.spot
// (park.Spot, which the HTTP/2 front parks through too) orders them: the
// poller's wake (bytes arrived: serve again in a new goroutine), the idle
// timer (keep-alive or request timeout: close) and a closer (the
// listener's drain or hard stop, or the Reclaimer making room for a new
// connection). Whoever moves the state out of parked owns the session.

// waker adapts a Session to park.Owner without exporting its methods.
type waker Session

func (w *waker) Wake() { (*Session)(w).resume() }

// Expire closes a connection that stayed parked until its deadline (a
// late call from an earlier park finds the deadline not reached and does
// nothing).
func (w *waker) Expire() { (*Session)(w).closeParked(true) }

// park hands an idle connection to the poller until deadline. It returns
// nil when the connection is parked (the caller's goroutine must then leave
// s alone), errClosing when the session was closed meanwhile, or the
// poller's error (the caller keeps waiting itself).
func (s *Session) park(deadline time.Time) error {
	s.spot.Lock()
	defer s.spot.Unlock()
	if !s.state.CompareAndSwap(idle, parked) {
		return errClosing
	}
	if err := s.spot.Park(s.env.park, s.prc, (*waker)(s), deadline); err != nil {
		s.state.Store(idle) // closers wait on the lock, then see idle again
		return err
	}
	s.env.Parks.Add(1)
	return nil
}

// unparkLocked stops the idle timer and the poller's watch. The spot's
// lock is held.
func (s *Session) unparkLocked() {
	s.spot.Unpark(s.env.park, s.prc)
}

// resume serves a parked connection again once its client sent bytes (or
// hung up). It runs in a new goroutine started by the poller.
func (s *Session) resume() {
	s.spot.Lock()
	if !s.state.CompareAndSwap(parked, busy) {
		s.spot.Unlock()
		return // timed out or closed meanwhile
	}
	s.unparkLocked()
	s.woken = true
	s.spot.Unlock()
	s.run()
}

// closeParked ends a parked session and reports whether it did; when
// timedOut, only once its park deadline has passed.
func (s *Session) closeParked(timedOut bool) bool {
	s.spot.Lock()
	if timedOut && !s.spot.Due() {
		s.spot.Unlock()
		return false
	}
	if !s.state.CompareAndSwap(parked, done) {
		s.spot.Unlock()
		return false
	}
	s.unparkLocked()
	s.spot.Unlock()
	s.finish()
	return true
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
