package h2

import (
	"crypto/tls"
	"errors"
	"time"

	"github.com/sluiceproxy/sluice/internal/tlsidle"
	"github.com/sluiceproxy/sluice/listener"
)

// Parking: a connection with no stream open, nothing queued and no writer
// running, whose client stays silent for Parking.After at a frame
// boundary, leaves its goroutine and waits in the poller (package
// internal/park) on its raw socket, as an HTTP/1.1 connection does
// between requests (package session, through the same park.Spot). Over
// TLS this is sound because a Read that timed out with nothing read has
// left no complete record inside crypto/tls (a deadline is not a sticky
// error there): bytes still to come make the socket readable. A parked
// connection keeps its HPACK dynamic table, packed into one record of its
// size (hpack_park.go), its settings and windows (the conn), its TLS keys
// and its socket: no goroutine, stack, frame or write buffer, no HPACK
// ring, none of crypto/tls's read buffers (package internal/tlsidle).
//
// Three parties may end a parked state, and the spot's lock orders them:
// the poller's wake (bytes or a hang-up: the frame loop goes on in a new
// goroutine; a PING is answered so), the keep-alive deadline
// (the poller's deadline: GOAWAY(NO_ERROR), then the close, as an idle connection that waits in
// its goroutine gets) and a closer (Drain: GOAWAY and the close; a hard
// stop: the close). Whoever clears parked owns the connection.

// errParked ends the frame loop of a connection that parked: the poller
// owns it now, and the goroutine must leave it alone.
var errParked = errors.New("h2: parked")

// parker adapts a conn to park.Owner without exporting its methods.
type parker conn

// Wake serves a parked connection again once its client sent bytes (or
// hung up), in the goroutine the poller started.
func (p *parker) Wake() {
	c := (*conn)(p)
	c.spot.Lock()
	if !c.parked {
		c.spot.Unlock()
		return // timed out or closed meanwhile
	}
	c.parked = false
	c.spot.Unpark(c.s.parking.Poller, c.prc)
	c.spot.Unlock()
	c.dec.unpark()
	c.mu.Lock()
	c.setReadDeadline(c.idleSince.Add(c.keepAlive()))
	c.mu.Unlock()
	c.woken = true
	c.run(false)
}

// Expire ends a connection that stayed parked for its keep-alive time.
func (p *parker) Expire() {
	c := (*conn)(p)
	c.spot.Lock()
	if !c.parked {
		c.spot.Unlock()
		return
	}
	c.parked = false
	c.spot.Unpark(c.s.parking.Poller, c.prc)
	c.spot.Unlock()
	c.end(errIdle)
}

// unparkToClose takes a parked connection out of the poller for a closer,
// and reports whether it was parked (the caller then ends it).
func (c *conn) unparkToClose() bool {
	c.spot.Lock()
	defer c.spot.Unlock()
	if !c.parked {
		return false
	}
	c.parked = false
	c.spot.Unpark(c.s.parking.Poller, c.prc)
	return true
}

// idleLocked reports a connection with nothing in flight: no stream open
// or running, nothing queued or being written, no writer, not ending.
func (c *conn) idleLocked() bool {
	return len(c.streams) == 0 && c.running == 0 && len(c.out) == 0 && !c.writing && !c.writerOn &&
		!c.draining && !c.dead
}

// canPark reports whether the frame loop may park the connection now, as
// far as its own state goes (the reader's; park checks the rest).
func (c *conn) canPark() bool {
	return c.prc != nil && !c.noPark && c.s.parking.After >= 0 && c.started && !c.hd.active && c.rbuf == nil
}

// mayPark is asked before the frame loop waits for the client with
// nothing buffered: when the connection could park, it arms the read
// deadline for Parking.After, so that the wait ends in park.
func (c *conn) mayPark() {
	if !c.canPark() {
		return
	}
	if c.woken { // the bytes that woke it are there: read them first
		c.woken = false
		return
	}
	c.mu.Lock()
	c.parkSoonLocked()
	c.mu.Unlock()
}

// parkSoonLocked arms the frame loop's read deadline for Parking.After
// when the connection has nothing in flight, so that a read armed for
// longer ends then and the connection parks. It is called where the
// connection may become idle: the frame loop before it waits, a stream's
// end, the writer's end.
func (c *conn) parkSoonLocked() {
	after := c.s.parking.After
	if c.prc == nil || after < 0 || !c.mayIdle || !c.idleLocked() {
		return
	}
	now := time.Now()
	dl := now.Add(after)
	if !dl.Before(c.idleSince.Add(c.keepAlive())) {
		return
	}
	// One armed by an earlier call and still most of ParkAfter away
	// serves: requests one after the other change the deadline once per
	// quarter of ParkAfter, not twice per request, and an idle connection
	// parks after 3/4 to all of ParkAfter.
	if armed := c.parkDL.Load(); armed != 0 && armed-listener.Mono(now) >= int64(after-after/4) {
		return
	}
	_ = c.nc.SetReadDeadline(dl)
	c.parkDL.Store(listener.Mono(dl))
}

// setReadDeadline sets the frame loop's read deadline for another reason
// than parking (see parkSoonLocked).
func (c *conn) setReadDeadline(t time.Time) {
	c.parkDL.Store(0)
	_ = c.nc.SetReadDeadline(t)
}

// park hands the idle connection to the poller until its keep-alive time
// is up, and reports whether it did (the frame loop must then return
// without touching c). The write and header-block buffers go first.
func (c *conn) park() bool {
	c.spot.Lock()
	defer c.spot.Unlock()
	c.mu.Lock()
	ok := c.idleLocked()
	deadline := c.idleSince.Add(c.keepAlive())
	if ok {
		c.out, c.spare = nil, nil
		c.enc.release()
	}
	c.mu.Unlock()
	if !ok || !time.Now().Before(deadline) {
		return false
	}
	c.block = nil
	c.dec.park()
	if tc, ok := c.nc.(*tls.Conn); ok {
		tlsidle.Release(tc)
	}
	if err := c.spot.Park(c.s.parking.Poller, c.prc, (*parker)(c), deadline); err != nil {
		c.noPark = true
		c.dec.unpark()
		c.s.env.Log.Debug("an idle HTTP/2 connection keeps its goroutine", "listener", c.s.ln.Addr, "error", err)
		return false
	}
	c.parked = true
	c.s.parks.Add(1)
	return true
}
