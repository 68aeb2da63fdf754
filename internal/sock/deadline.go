package sock

import (
	"errors"
	"os"
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
// net.Conn itself calls Settle first. Clearing a deadline is handed over
// at once.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setDeadline(t, false) }

// SetWriteDeadline is SetReadDeadline for writes.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(t, true) }

func (c *Conn) setDeadline(t time.Time, write bool) error {
	if c.rc == nil {
		if write {
			return c.nc.SetWriteDeadline(t)
		}
		return c.nc.SetReadDeadline(t)
	}
	want, pushed := &c.rdl, &c.prdl
	if write {
		want, pushed = &c.wdl, &c.pwdl
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := offset(t)
	*want = d
	if d == 0 && *pushed == 0 || d != 0 && *pushed != 0 && d >= *pushed {
		return nil
	}
	*pushed = d
	return c.push(t, write)
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
	want, pushed := &c.rdl, &c.prdl
	if write {
		want, pushed = &c.wdl, &c.pwdl
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if *pushed == 0 || *want == *pushed || passed(*want) {
		return false // the deadline asked for, or one set on the net.Conn itself
	}
	*pushed = *want
	return c.push(deadline(*want), write) == nil
}

// Settle hands the deadlines asked for to the connection itself, for a
// caller that goes on with the net.Conn (or its RawConn) directly.
func (c *Conn) Settle() {
	if c.rc == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, write := range []bool{false, true} {
		want, pushed := &c.rdl, &c.prdl
		if write {
			want, pushed = &c.wdl, &c.pwdl
		}
		if *want != *pushed {
			*pushed = *want
			_ = c.push(deadline(*want), write)
		}
	}
}
