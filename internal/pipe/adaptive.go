package pipe

import (
	"net"
	"sync"
	"syscall"
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
// readiness callback, and given back when the callback finds the socket
// empty (or after the blocking loop's write).
//
// A short read is passed on by the readiness callback itself, with a
// non-blocking write, and when the destination takes it whole the callback
// waits inside the same RawConn.Read, without a trip through the blocking
// loop (deadline renewal, the net.Conn write path) per message. It may
// wait at once only when it knows the socket empty: a plain short read
// does not tell whether an end of stream came with the bytes, and the
// poller would report no new readiness for it. On Linux the source has
// TCP_INQ on (sock.Inq): a read that leaves 0 proves the socket empty and
// not ended, so a message costs its read and its write. Without it the
// callback reads again, and waits when that read finds nothing. A write
// the destination does not take whole goes back to the blocking loop, with
// its write deadline.

// copyBuf is the size of the copy buffer, and so the read size from which
// a direction switches to splicing.
const copyBuf = 16 << 10

// readFD and writeFD are the callback's read and write; tests shorten
// them.
var (
	readFD  = readRest
	writeFD = sock.WriteFD
)

// readRest is the callback's read: through q when the source has TCP_INQ
// on (rest is then what the kernel says is left after the read), else a
// plain read (rest -1: unknown).
func readRest(q *sock.Inq, fd uintptr, p []byte) (n, rest int, again bool, err error) {
	if q != nil {
		return q.Read(fd, p)
	}
	n, again, err = sock.ReadFD(fd, p)
	return n, -1, again, err
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }}

// takeBuf and giveBuf take a copy buffer from the pool and give it back;
// tests count the trips.
var (
	takeBuf = func() *[]byte { return copyBufs.Get().(*[]byte) }
	giveBuf = func(b *[]byte) { copyBufs.Put(b) }
)

// adaptive is the state of one direction's raw reads.
type adaptive struct {
	r        *relay
	src, dst int
	rc       syscall.RawConn // the source's
	wc       syscall.RawConn // the destination's, nil to never write from the callback
	inq      *sock.Inq       // the source's reads, when it has TCP_INQ on; else nil
	bufp     *[]byte         // the buffer holding the last read's bytes, nil between reads
	n        int             // bytes in the buffer
	off      int             // of which already written
	err      error           // the read's error
	moved    int64           // bytes written by the callback, not yet counted
	unmarked int             // writes of the callback since activity was last recorded
	wfn      func(uintptr) bool
}

// markEvery bounds the writes the readiness callback makes without
// recording activity (see relay.tcp) and without checking that its source
// is not being closed: a callback that never finds its socket empty does
// not return, and its relay must not look idle, nor hold a Close of the
// source (which waits for the callback) for as long as the bytes come.
const markEvery = 64

// noControl is the source's Control call that only checks it is open.
func noControl(uintptr) {}

// read is the RawConn.Read callback: non-blocking reads into a pooled
// buffer, taken only once the socket is ready (the callback runs when it
// is) and kept for the reads that follow a whole write, so a message costs
// one trip to the pool; false (wait) when nothing is there, after passing
// on whole what was (see above) and giving the buffer back.
func (a *adaptive) read(fd uintptr) bool {
	a.bufp = takeBuf()
	for {
		n, rest, again, err := readFD(a.inq, fd, *a.bufp)
		if again {
			a.release()
			return false
		}
		a.n, a.off, a.err = n, 0, err
		if err != nil || n == len(*a.bufp) || a.wc == nil {
			return true
		}
		if werr := a.wc.Write(a.wfn); werr != nil || a.off < a.n {
			return true // the blocking loop writes the rest, or meets the error
		}
		a.moved += int64(n)
		a.n = 0
		if a.unmarked++; a.unmarked == markEvery {
			a.unmarked = 0
			a.r.touch(a.src, a.dst)
			if a.rc.Control(noControl) != nil {
				a.release()
				return true // closing: the blocking loop's next read fails
			}
		}
		if rest == 0 {
			// The kernel said the socket was empty and its stream not
			// ended: what comes next makes the poller report readiness,
			// so the callback waits without the read that finds nothing.
			a.release()
			return false
		}
	}
}

// write is the destination's RawConn.Write callback: one non-blocking
// attempt, never a wait (it returns true either way).
func (a *adaptive) write(fd uintptr) bool {
	n, _, err := writeFD(fd, (*a.bufp)[a.off:a.n])
	a.off += n
	if err != nil {
		a.off = a.n + 1 // not whole: the blocking write meets the error
	}
	return true
}

func (a *adaptive) release() {
	if a.bufp != nil {
		giveBuf(a.bufp)
		a.bufp = nil
	}
}

// tcp copies from s to d, through a buffer until a read fills it, then
// with splice (see the comment above).
//
// What the readiness callback passes on is recorded as activity when the
// callback's wait ends, not with a clock reading per message: at the read
// deadline (a tick), at the latest, or every markEvery writes of a
// callback that never waits. Recorded late by a tick at most, never
// early, so silence is never overestimated; the tick is an eighth of the
// shortest timeout (see Run), which keeps the end of an idle relay within
// 1.25 times its timeout.
func (r *relay) tcp(src, dst int, s, d *net.TCPConn) int64 {
	rc, err := s.SyscallConn()
	if err != nil {
		return r.splice(src, dst, s, d)
	}
	a := adaptive{r: r, src: src, dst: dst, rc: rc}
	if sock.EnableInq(rc) {
		a.inq = new(sock.Inq)
	}
	if wc, err := d.SyscallConn(); err == nil {
		a.wc, a.wfn = wc, a.write
	}
	var (
		total int64
		fn    = a.read
		wd    = r.sides[dst].Idle
		wBy   time.Time // the write deadline set
	)
	for {
		_ = s.SetReadDeadline(r.readDeadline())
		a.n, a.off, a.err = 0, 0, nil
		err := rc.Read(fn)
		if a.moved > 0 {
			total += a.moved
			a.moved, a.unmarked = 0, 0
			r.touch(src, dst)
		}
		if err == nil {
			err = a.err
		}
		if a.n > 0 {
			if a.off > a.n {
				a.off = 0 // the callback's write failed: let the blocking one tell why
			}
			if now := time.Now(); wd > 0 && wBy.Sub(now) < wd/2 {
				wBy = now.Add(wd)
				_ = d.SetWriteDeadline(wBy)
			}
			_, werr := d.Write((*a.bufp)[a.off:a.n])
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
		if r.readEnded(err, src, dst) {
			return total
		}
	}
}
