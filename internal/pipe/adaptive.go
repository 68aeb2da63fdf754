package pipe

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/sluiceproxy/sluice/internal/sock"
)

// Between two TCP connections a direction starts by copying through a
// buffer, a read at a time, and switches to splice(2) (see splice) once a
// read fills the buffer: small exchanges (a request and its answer, a
// message at a time) cost one read and one write each, while a bulk
// transfer moves through a kernel pipe without entering user space, as
// HAProxy's splice-auto does. Once switched, the direction splices to its
// end. A direction waiting for its source holds no buffer: the buffer is
// taken from a pool when bytes are there, inside the runtime poller's
// readiness callback, and given back after the write.

// copyBuf is the size of the copy buffer, and so the read size from which
// a direction switches to splicing.
const copyBuf = 16 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }}

// adaptive is the state of one direction's raw reads.
type adaptive struct {
	bufp *[]byte // the buffer holding the last read's bytes, nil between reads
	n    int
	err  error
}

// read is the RawConn.Read callback: one non-blocking read into a pooled
// buffer, taken only once the socket is ready; false (wait) when nothing
// is there yet.
func (a *adaptive) read(fd uintptr) bool {
	a.bufp = copyBufs.Get().(*[]byte)
	n, again, err := sock.ReadFD(fd, *a.bufp)
	if again {
		a.release()
		return false
	}
	a.n, a.err = n, err
	return true
}

func (a *adaptive) release() {
	if a.bufp != nil {
		copyBufs.Put(a.bufp)
		a.bufp = nil
	}
}

// tcp copies from s to d, through a buffer until a read fills it, then
// with splice (see the comment above).
func (r *relay) tcp(src, dst int, s, d *net.TCPConn) int64 {
	rc, err := s.SyscallConn()
	if err != nil {
		return r.splice(src, dst, s, d)
	}
	var (
		a     adaptive
		total int64
		fn    = a.read
		wd    = r.sides[dst].Idle
		wBy   time.Time // the write deadline set
	)
	for {
		_ = s.SetReadDeadline(r.readDeadline())
		a.n, a.err = 0, nil
		err := rc.Read(fn)
		if err == nil {
			err = a.err
		}
		if a.n > 0 {
			if now := time.Now(); wd > 0 && wBy.Sub(now) < wd/2 {
				wBy = now.Add(wd)
				_ = d.SetWriteDeadline(wBy)
			}
			_, werr := d.Write((*a.bufp)[:a.n])
			full := a.n == len(*a.bufp)
			a.release()
			if werr != nil {
				r.abort(werr, dst)
				return total
			}
			total += int64(a.n)
			r.touch(src, dst)
			if full && err == nil {
				_ = s.SetReadDeadline(time.Time{})
				return total + r.splice(src, dst, s, d)
			}
		}
		a.release()
		switch {
		case err == nil:
		case err == io.EOF:
			r.endOfStream(dst)
			return total
		case isTimeout(err):
			if i := r.idle(); i >= 0 {
				r.abort(ErrIdle, i)
				return total
			}
		default:
			r.abort(err, src)
			return total
		}
	}
}
