package h2

import "time"

// Holding a write for the rest of a convoy. A client that keeps several
// streams in flight sends its requests in bursts, and their responses
// arrive from the backends close together. When a burst splits (one
// response comes a scheduling round before the others), every later burst
// stays split: the client answers each write with a burst of its own, so
// the connection costs two or more TLS writes, two client reads and two
// wake-ups of the client per burst for good. So when the writer finds
// fewer whole responses queued than streams of the connection still
// waiting for a response head, it holds them until one of those streams
// queues its response (the kick; the writer then yields once more, so
// that the round's other responses join) or holdMax has passed, and
// writes them all at once. It holds at most once per write, only a queue
// of whole responses (any other frame, a control frame above all, goes
// at once), and after a hold that ended on holdMax it does not hold again
// for holdCool writes: a connection whose other streams are slow (long
// polls, event streams) pays the delay rarely.

const (
	holdMax  = 500 * time.Microsecond
	holdCool = 4
)

// beginLocked notes that the stream's response head is queued.
func (st *stream) beginLocked() {
	if !st.began {
		st.began = true
		st.c.unbegun--
	}
}

// holdLocked holds the queue when it is worth it (see above) and reports
// whether it did; the writer then looks at the queue again. It runs in the
// writer with mu held, and releases it while it waits.
func (c *conn) holdLocked() bool {
	if !c.worthHolding() {
		return false
	}
	// A wake-up left from a kick before this point is already in the
	// queue: drop it, so that the wait is for the next one.
	select {
	case <-c.wwake:
	default:
	}
	c.held = true
	if c.holdT == nil {
		c.holdT = time.NewTimer(holdMax)
	} else {
		c.holdT.Reset(holdMax)
	}
	c.mu.Unlock()
	timedOut := false
	select {
	case <-c.wwake:
		c.holdT.Stop()
	case <-c.holdT.C:
		timedOut = true
	}
	c.mu.Lock()
	if timedOut {
		c.cool = holdCool
	}
	c.yielded = false
	return true
}

// worthHolding tells whether the queue is to be held (under mu): whole
// responses only, fewer than the streams still waiting for a response
// head, no hold yet since the last write and none in vain lately, the
// connection not ending, no stream waiting for room in the queue.
func (c *conn) worthHolding() bool {
	return !c.held && c.cool == 0 && !c.wclosed && c.waitOut == 0 &&
		c.batch > 0 && len(c.out) == c.plain && c.batch < c.unbegun
}
