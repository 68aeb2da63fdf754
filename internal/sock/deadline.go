package sock

import (
	"errors"
	"os"
	"sync/atomic"
	"time"
)

// Deadlines handed to the runtime's poller lazily. Moving a runtime
// timer costs its heap's lock and a clock reading, and a proxy moves a
// connection's deadlines at every request, later each time, while most
// of them never fire. So a deadline moved later stays with the
// connection's own record (Stream, Conn); the poller keeps the earlier
// one it holds. When that one fires, the call that waited finds the true
// deadline not passed (early), hands it to the poller and waits on. A
// deadline moved earlier, or set where the poller holds none, is handed
// over at once, so that it ends a wait in progress on time.

// epoch is the origin of the deadline offsets: a monotonic clock reading.
var epoch = time.Now()

// offset is t as a deadline offset: 0 for none, at least 1 (long past)
// for a time before epoch.
func offset(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return max(int64(t.Sub(epoch)), 1)
}

// deadline is the time of the deadline offset d: zero for none, a time
// at or before epoch for one long past.
func deadline(d int64) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return epoch.Add(time.Duration(d))
}

// passed reports whether the deadline offset d is set and reached.
func passed(d int64) bool { return d != 0 && int64(time.Since(epoch)) >= d }

// isDeadline reports whether err is the poller's deadline error.
func isDeadline(err error) bool {
	return err != nil && errors.Is(err, os.ErrDeadlineExceeded)
}

// lazy is one deadline of a connection (its read or its write deadline),
// kept by the rule above. want may be read without the owner's lock (a
// Stream's bare calls do); the methods run under it.
type lazy struct {
	want atomic.Int64 // the deadline asked for, as an offset; 0 for none
	held int64        // the one the poller holds: never later than want
}

// set records the deadline d and reports whether the poller must be
// given it now: it holds none, or a later one, or one where d is none.
func (l *lazy) set(d int64) bool {
	l.want.Store(d)
	if d == 0 && l.held == 0 || d != 0 && l.held != 0 && d >= l.held {
		return false
	}
	l.held = d
	return true
}

// early reports, once the deadline the poller holds has fired, whether
// it fired before the one asked for: then that one (held, from now on)
// must be given to the poller, and the call that waited waits again.
func (l *lazy) early() bool {
	w := l.want.Load()
	if l.held == 0 || w == l.held || passed(w) {
		return false // the deadline asked for, or one set around the owner
	}
	l.held = w
	return true
}

// settle reports whether the poller holds another deadline than the one
// asked for, which it then must be given (held, from now on).
func (l *lazy) settle() bool {
	if w := l.want.Load(); w != l.held {
		l.held = w
		return true
	}
	return false
}

// SetDeadline sets both deadlines, as net.Conn's.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the connection's read deadline as net.Conn's does,
// for the calls made through c. Where c makes raw calls the connection
// itself is told lazily (see above): until those calls find the true one,
// it may hold an earlier deadline, so a caller that reads or writes the
// net.Conn itself calls Settle first.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setDeadline(t, false) }

// SetWriteDeadline is SetReadDeadline for writes.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(t, true) }

// dl is c's read or write deadline.
func (c *Conn) dl(write bool) *lazy {
	if write {
		return &c.wdl
	}
	return &c.rdl
}

func (c *Conn) setDeadline(t time.Time, write bool) error {
	if c.rc == nil {
		return c.push(t, write)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dl(write).set(offset(t)) {
		return c.push(t, write)
	}
	return nil
}

func (c *Conn) push(t time.Time, write bool) error {
	if write {
		return c.nc.SetWriteDeadline(t)
	}
	return c.nc.SetReadDeadline(t)
}

// early reports whether err is the deadline the connection holds firing
// before the one asked for (write tells which); it then hands the true
// one over, and the caller waits again.
func (c *Conn) early(err error, write bool) bool {
	if !isDeadline(err) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.dl(write)
	return l.early() && c.push(deadline(l.held), write) == nil
}

// Settle hands the deadlines asked for to the connection itself, for a
// caller that goes on with the net.Conn (or its RawConn) directly.
func (c *Conn) Settle() {
	if c.rc == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rdl.settle() {
		_ = c.push(deadline(c.rdl.held), false)
	}
	if c.wdl.settle() {
		_ = c.push(deadline(c.wdl.held), true)
	}
}
