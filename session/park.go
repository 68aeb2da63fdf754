package session

import (
	"crypto/tls"
	"time"

	"github.com/sluiceproxy/sluice/internal/tlsidle"
)

// Parking: a connection silent for longer than Env.ParkAfter between
// requests leaves its goroutine and waits in the Env's poller (package
// internal/park), so that an idle keep-alive connection costs no stack.
// Three parties may end a parked state, and the lock of s.spot
// (park.Spot, which the HTTP/2 front parks through too) orders them: the
// poller's wake (bytes arrived: serve again in a new goroutine), its
// expiry (keep-alive or request timeout: close) and a closer (the
// listener's drain or hard stop, or the Reclaimer making room for a new
// connection). The poller keeps the deadlines: a parked connection has no
// timer. Whoever moves the state out of parked owns the session.

// waker adapts a Session to park.Owner without exporting its methods.
type waker Session

func (w *waker) Wake() { (*Session)(w).resume() }

// Expire closes a connection that stayed parked until its deadline.
func (w *waker) Expire() { (*Session)(w).closeParked() }

// leaver is a connection that can leave the runtime's poller while parked
// (sock.Stream).
type leaver interface{ Leave() bool }

// park hands an idle connection to the poller until deadline, when the
// poller expires it. It returns nil when the connection is parked (the
// caller's goroutine must then leave s alone), errClosing when the session
// was closed meanwhile, or the poller's error (the caller keeps waiting
// itself).
func (s *Session) park(deadline time.Time) error {
	s.spot.Lock()
	defer s.spot.Unlock()
	if !s.state.CompareAndSwap(idle, parked) {
		return errClosing
	}
	switch c := s.cl.Conn.(type) {
	case leaver:
		c.Leave() // no os.File or runtime poller entry while parked
	case *tls.Conn:
		tlsidle.Release(c) // nor crypto/tls's read buffers
	}
	if err := s.spot.Park(s.env.park, s.prc, (*waker)(s), deadline); err != nil {
		s.state.Store(idle) // closers wait on the lock, then see idle again
		return err
	}
	s.env.Parks.Add(1)
	s.dropWork() // a wake waits for the lock, then takes a work of its own
	return nil
}

// unparkLocked ends the poller's watch. The spot's lock is held.
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
	s.takeWork()
	s.run()
}

// closeParked ends a parked session and reports whether it did.
func (s *Session) closeParked() bool {
	s.spot.Lock()
	if !s.state.CompareAndSwap(parked, done) {
		s.spot.Unlock()
		return false
	}
	s.unparkLocked()
	s.spot.Unlock()
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
			if s.closeParked() {
				return true
			}
		default:
			return false
		}
	}
}
