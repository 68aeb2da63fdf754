package pipe

import (
	"io"
	"net"
	"time"
)

// copy moves bytes from side src to side dst until src ends or the relay
// is aborted, and returns how many it moved.
func (r *relay) copy(src, dst int) int64 {
	s, d := r.sides[src].Conn, r.sides[dst].Conn
	if st, ok := s.(*net.TCPConn); ok {
		if dt, ok := d.(*net.TCPConn); ok {
			return r.tcp(src, dst, st, dt)
		}
	}
	return r.buffered(src, dst, s, d)
}

// splice copies between two TCP connections with (*net.TCPConn).ReadFrom,
// which on Linux uses splice(2) when its source is a *net.TCPConn (bare or
// in an *io.LimitedReader). The read deadline (a tick) fires while ReadFrom
// waits for the source, when the kernel pipe is empty, so it is retried. A
// write deadline that fires may leave bytes in the pipe, which ReadFrom
// drops, so it ends the relay. The two are told apart by the time taken:
// the write deadline is at least half the receiving side's timeout away,
// the read deadline at most a tick (an eighth of the shortest timeout).
//
// Deadlines are renewed only once half of their span has passed, so a
// busy relay does not touch the runtime's timers on every call.
func (r *relay) splice(src, dst int, s, d *net.TCPConn) int64 {
	var total int64
	lr := io.LimitedReader{R: s}
	wd := r.sides[dst].Idle
	var readBy, writeBy time.Time // the deadlines set
	for {
		start := time.Now()
		if r.tick > 0 && readBy.Sub(start) < r.tick/2 {
			readBy = start.Add(r.tick)
			_ = s.SetReadDeadline(readBy)
		}
		if wd > 0 && writeBy.Sub(start) < wd/2 {
			writeBy = start.Add(wd)
			_ = d.SetWriteDeadline(writeBy)
		}
		lr.N = chunk
		n, err := d.ReadFrom(&lr)
		total += n
		if n > 0 {
			r.touch(src, dst)
		}
		switch {
		case err == nil && lr.N > 0: // end of stream before the chunk's end
			r.endOfStream(dst)
			return total
		case err == nil:
		case isTimeout(err) && (wd <= 0 || time.Now().Before(writeBy)):
			readBy = time.Time{} // it fired: renew it
			if i := r.idle(); i >= 0 {
				r.abort(ErrIdle, i)
				return total
			}
		case isTimeout(err):
			r.abort(ErrIdle, dst) // the receiving side took nothing for half its timeout or more
			return total
		default:
			r.abort(err, src)
			return total
		}
	}
}

// buffered copies through a buffer, for pairs that cannot splice. A read
// deadline that fires is retried; a write deadline that fires ends the
// relay (a TLS connection cannot write after one).
func (r *relay) buffered(src, dst int, s, d net.Conn) int64 {
	buf := r.sides[src].Buf
	if len(buf) == 0 {
		buf = make([]byte, 32<<10)
	}
	var total int64
	for {
		_ = s.SetReadDeadline(r.readDeadline())
		n, err := s.Read(buf)
		if n > 0 {
			_ = d.SetWriteDeadline(r.writeDeadline(dst))
			if _, werr := d.Write(buf[:n]); werr != nil {
				r.abort(werr, dst)
				return total
			}
			total += int64(n)
			r.touch(src, dst)
		}
		if r.readEnded(err, src, dst) {
			return total
		}
	}
}
