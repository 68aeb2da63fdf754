package park

import (
	"sync"
	"time"
)

// Owner is what parks a connection at a Spot: woken (Wake) when the
// connection has bytes to read or its peer hung up, expired (Expire) when
// the deadline of its park passes. The Poller calls one of the two, once,
// in a goroutine of its own, unless Unpark came first; either may race
// with the owner's closers: the one that moves the owner's state out of
// parked, under the Spot's lock, owns the connection.
type Owner = Expirer

// Spot is one connection's place in a Poller while it waits there without
// a goroutine: the key of its watch and the lock that orders the parties
// that may end the wait (a wake, the deadline, a closer of the owner's: a
// drain, a hard stop, the reclaimer). The Poller keeps the deadline, so a
// parked connection has no timer. The owner keeps its own state (parked
// or not) and changes it only while holding the lock; whoever moves it
// out of parked calls Unpark and then owns the connection. Both fronts
// park idle client connections through it: package session (HTTP/1.1,
// plain and TLS) and package h2. The zero Spot is ready; 16 bytes.
type Spot struct {
	mu  sync.Mutex
	key Key
}

// Lock takes the Spot's lock: the owner holds it while it moves its state
// into or out of parked.
func (s *Spot) Lock() { s.mu.Lock() }

// Unlock releases the Spot's lock.
func (s *Spot) Unlock() { s.mu.Unlock() }

// Park (lock held) watches c in p until deadline: o.Wake is called once
// when c is readable or hung up, o.Expire once deadline has passed,
// unless Unpark comes first. On error nothing is watched and the owner
// waits itself.
func (s *Spot) Park(p *Poller, c Conn, o Owner, deadline time.Time) error {
	k, err := p.ParkUntil(c, o, deadline)
	if err != nil {
		return err
	}
	s.key = k
	return nil
}

// Unpark (lock held) ends the watch of c in p: the caller has moved its
// owner out of parked and owns the connection. After it, neither Wake nor
// Expire of this park is called (one already called finds the owner's
// state moved and does nothing).
func (s *Spot) Unpark(p *Poller, c Conn) { p.Unpark(c, s.key) }
