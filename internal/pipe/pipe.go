// Package pipe relays bytes both ways between two connections until both
// directions end: the two-way copy behind TCP sessions and upgraded HTTP
// connections (WebSocket tunnels).
//
// Between two *net.TCPConn a direction copies through a pooled buffer
// while reads are small, and once a read fills the buffer (a bulk
// transfer) goes on through (*net.TCPConn).ReadFrom with the source as a
// bare *net.TCPConn (inside an *io.LimitedReader, which the standard
// library unwraps), so on Linux the bytes move with splice(2) from socket
// to pipe to socket and never enter user space (see adaptive.go). Any other
// pair (a TLS connection, a test's net.Pipe) is copied through a buffer.
//
// Each side has an idle timeout: a side is idle when no byte was read from
// it or written to it for that long, and when either side is idle the
// relay ends and both connections are closed. Silence is checked every
// eighth of the shorter timeout, and small messages relayed by the
// readiness callback are recorded at the next check rather than one by one
// (see relay.tcp), so an idle relay ends between 1 and 1.25 times its
// timeout after the last byte moved. A write that cannot go on
// for the receiving side's timeout (between half of it and all of it, as
// deadlines are renewed lazily) also ends the relay.
package pipe

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Side is one end of a relay.
type Side struct {
	Conn net.Conn
	// Idle is the side's idle timeout; zero or less means none.
	Idle time.Duration
	// Buf is the buffer used to copy from this side when the pair cannot
	// splice; nil makes Run allocate one (32 KiB) if it needs it.
	Buf []byte
}

// Result is how a relay went.
type Result struct {
	// AToB and BToA count the bytes relayed each way.
	AToB, BToA int64
	// Err is the first error that ended the relay early (nil when both
	// directions ended with an end of stream): ErrIdle, or the failing
	// read or write.
	Err error
	// By is the side that ended the relay, 0 for a and 1 for b: when both
	// directions ended with an end of stream, the side whose stream ended
	// first (who closed first); for ErrIdle, the idle side (or the side a
	// write could not go to); for another error, the side of the failing
	// read or write (a failed splice is put on its source).
	By int
}

// ErrIdle ends a relay whose side stayed idle for its timeout.
var ErrIdle = errors.New("pipe: idle timeout")

// chunk bounds the bytes moved by one ReadFrom call, so that activity is
// recorded and the write deadline renewed at least every chunk.
const chunk = 256 << 10

// relay is the state shared by the two directions.
type relay struct {
	sides [2]Side
	tick  time.Duration // how often silence is checked
	start time.Time
	last  [2]atomic.Int64 // per side: ns since start of the last byte read from or written to it
	once  sync.Once
	ended atomic.Int32 // directions that ended with an end of stream
	first atomic.Int32 // 1 + the side whose stream ended first; 0 until one did
	err   error        // set once, under once
	by    int          // the side that err came from, set with it
}

// Run relays a to b and b to a until both directions end, then returns. An
// end of stream on one side half-closes the other (CloseWrite) and the
// opposite direction goes on; when that one ends too, both connections are
// closed (the close sends the last FIN, saving a shutdown call). An error,
// a refused half-close or an idle side closes both connections, which ends
// both directions. Either way both connections are closed when Run
// returns; closing them again is harmless. Run runs one direction in a
// goroutine of its own and waits for it.
func Run(a, b Side) Result {
	r := &relay{sides: [2]Side{a, b}, start: time.Now()}
	short := time.Duration(0)
	for _, s := range r.sides {
		if s.Idle > 0 && (short == 0 || s.Idle < short) {
			short = s.Idle
		}
	}
	if short > 0 {
		r.tick = max(short/8, time.Millisecond)
	}
	var res Result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned by Run, which waits for it
		defer wg.Done()
		res.BToA = r.copy(1, 0)
	}()
	res.AToB = r.copy(0, 1)
	wg.Wait()
	r.close(nil, 0) // both ended: a no-op unless a direction returned without closing
	res.Err, res.By = r.err, r.by
	if r.err == nil {
		res.By = max(int(r.first.Load())-1, 0)
	}
	return res
}

// now is the time since the relay started, in ns.
func (r *relay) now() int64 { return int64(time.Since(r.start)) }

// touch records activity on both sides of a direction.
func (r *relay) touch(src, dst int) {
	t := r.now()
	r.last[src].Store(t)
	r.last[dst].Store(t)
}

// idle returns the side that has been idle for its timeout, or -1.
func (r *relay) idle() int {
	t := r.now()
	for i, s := range r.sides {
		if s.Idle > 0 && t-r.last[i].Load() >= int64(s.Idle) {
			return i
		}
	}
	return -1
}

// readDeadline is when the source of a direction is next checked for
// silence; zero when no side has a timeout.
func (r *relay) readDeadline() time.Time {
	if r.tick == 0 {
		return time.Time{}
	}
	return time.Now().Add(r.tick)
}

// writeDeadline bounds a write to side dst.
func (r *relay) writeDeadline(dst int) time.Time {
	if d := r.sides[dst].Idle; d > 0 {
		return time.Now().Add(d)
	}
	return time.Time{}
}

// abort ends the relay: it records err, which came from side by, and
// closes both connections, which makes the other direction's read or
// write fail at once.
func (r *relay) abort(err error, by int) { r.close(err, by) }

// close closes both connections once, recording err (from side by) as the
// relay's.
func (r *relay) close(err error, by int) {
	r.once.Do(func() {
		r.err, r.by = err, by
		r.sides[0].Conn.Close()
		r.sides[1].Conn.Close()
	})
}

// readEnded decides what a read error err from side src, copying to dst,
// does to the direction, and reports whether the direction is over: none
// goes on, an end of stream half-closes dst, a read deadline goes on unless
// a side has been idle for its timeout (which ends the relay), any other
// error ends the relay.
func (r *relay) readEnded(err error, src, dst int) bool {
	switch {
	case err == nil:
		return false
	case err == io.EOF:
		r.endOfStream(dst)
	case isTimeout(err):
		i := r.idle()
		if i < 0 {
			return false
		}
		r.abort(ErrIdle, i)
	default:
		r.abort(err, src)
	}
	return true
}

// endOfStream half-closes dst after src ended, or closes both connections
// when the other direction has ended already.
func (r *relay) endOfStream(dst int) {
	r.first.CompareAndSwap(0, int32(1-dst)+1)
	if r.ended.Add(1) == 2 {
		r.close(nil, 0)
		return
	}
	if cw, ok := r.sides[dst].Conn.(interface{ CloseWrite() error }); ok {
		if err := cw.CloseWrite(); err == nil {
			return
		}
	}
	r.abort(nil, 0) // no half-close: closing both is the only way to tell
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
