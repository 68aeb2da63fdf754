package park

import (
	"sync"
	"time"
)

// Owner is what parks a connection at a Spot: woken (Wake) when the
// connection has bytes to read or its peer hung up, expired (Expire) when
// the deadline of its park passes. Each is called in a goroutine of its
// own and may race with the other and with the owner's closers: the one
// that moves the owner's state out of parked, under the Spot's lock,
// owns the connection.
type Owner interface {
	Waker
	// Expire is called when the deadline given to Park passes; a call
	// left from an earlier park may come late, so Expire checks Due.
	Expire()
}

// Spot is one connection's place in a Poller while it waits there without
// a goroutine: the key of its watch, the timer that ends the wait at its
// deadline (made at the first park, reused after), and the lock that
// orders the parties that may end the wait (a wake, the timer, a closer of
// the owner's: a drain, a hard stop). The owner keeps its own state
// (parked or not) and changes it only while holding the lock; whoever
// moves it out of parked calls Unpark and then owns the connection. Both
// fronts park idle client connections through it: package session
// (HTTP/1.1, plain and TLS) and package h2. The zero Spot is ready; its
// owner must not change.
type Spot struct {
	mu       sync.Mutex
	key      Key
	timer    *time.Timer
	deadline int64 // ns since epoch (monotonic)
	o        Owner
}

// epoch is the origin of Spot deadlines (a monotonic clock reading).
var epoch = time.Now()

func mono(t time.Time) int64 { return int64(t.Sub(epoch)) }

// Lock takes the Spot's lock: the owner holds it while it moves its state
// into or out of parked.
func (s *Spot) Lock() { s.mu.Lock() }

// Unlock releases the Spot's lock.
func (s *Spot) Unlock() { s.mu.Unlock() }

// Park (lock held) watches c in p: o.Wake is called once when c is
// readable or hung up, o.Expire once deadline has passed, unless Unpark
// comes first. On error nothing is watched and the owner waits itself.
func (s *Spot) Park(p *Poller, c Conn, o Owner, deadline time.Time) error {
	k, err := p.Park(c, o)
	if err != nil {
		return err
	}
	s.key, s.o, s.deadline = k, o, mono(deadline)
	if s.timer == nil {
		s.timer = time.AfterFunc(time.Until(deadline), s.expire) // bound once
	} else {
		s.timer.Reset(time.Until(deadline))
	}
	return nil
}

// Unpark (lock held) stops the timer and the watch of c in p: the caller
// has moved its owner out of parked and owns the connection.
func (s *Spot) Unpark(p *Poller, c Conn) {
	s.timer.Stop()
	p.Unpark(c, s.key)
}

// Due (lock held) reports whether the deadline of the last Park has
// passed: a timer's call left from an earlier park finds it has not.
func (s *Spot) Due() bool { return mono(time.Now()) >= s.deadline }

func (s *Spot) expire() {
	s.mu.Lock()
	o := s.o
	s.mu.Unlock()
	o.Expire()
}
