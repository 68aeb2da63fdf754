package session

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/metrics"
)

var errClosing = errors.New("session: listener closing")

// errParked reports that waitData handed the connection to the poller.
var errParked = errors.New("session: parked")

// waitData waits until the client sends bytes, holding no buffer while it
// waits, and reads them into a fresh buffer. now is the clock's reading
// the caller took deadline from (one reading serves both). A long wait
// parks the connection (errParked, see idleWait): the goroutine must then
// return without touching s.
func (s *Session) waitData(now, deadline time.Time) error {
	s.releaseBuf()
	s.releaseHeads()
	s.state.Store(idle)
	if s.ln.Closing() && !s.first { // a new connection gets its first request answered
		return errClosing
	}
	if err := s.idleWait(now, deadline); err != nil {
		return err
	}
	if !s.state.CompareAndSwap(idle, busy) {
		return errClosing
	}
	return nil
}

// parkSoon is how long a waiting session keeps its goroutine before it
// parks when LingerMax others already wait longer (see Env.LingerMax).
const parkSoon = 10 * time.Millisecond

// idleWait waits for the next request's first bytes until deadline (now
// is a clock reading taken just before). A
// connection that can park (prc) waits in its goroutine for ParkAfter when
// fewer than LingerMax others wait so, for parkSoon otherwise, then parks
// in the poller until deadline: clients with short pauses are served
// without a park, and many idle ones at once do not hold a stack each for
// long. Under TLS, a Read that timed out with nothing has left no
// complete record inside crypto/tls (a deadline is not a sticky error
// there), so bytes still to come make the raw socket readable. now is a
// clock reading taken just before (see waitData).
func (s *Session) idleWait(now, deadline time.Time) error {
	e := s.env
	// Right after a wake the bytes are there: a raw read must get them
	// before a deadline check could park the connection again (crypto/tls
	// reads what it holds first).
	canPark := s.prc != nil && e.park != nil && e.ParkAfter >= 0 && !(s.woken && s.rc != nil) &&
		deadline.Sub(now) > e.ParkAfter
	s.woken = false
	if !canPark {
		return s.readBy(deadline)
	}
	lingers := e.lingering.Add(1) <= e.LingerMax
	wait := e.ParkAfter
	if !lingers {
		wait = min(wait, parkSoon)
	}
	err := s.readBy(now.Add(wait))
	e.lingering.Add(-1)
	if err == nil || !isTimeout(err) {
		return err
	}
	if parkErr := s.park(deadline); parkErr == nil {
		return errParked
	} else if parkErr == errClosing {
		return parkErr
	}
	return s.readBy(deadline) // the poller refused: wait here
}

// readBy waits until deadline for bytes and reads them into a fresh
// buffer; on an error it holds no buffer.
func (s *Session) readBy(deadline time.Time) error {
	if err := s.cl.Conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	if s.rc != nil {
		return s.rawWait()
	}
	s.acquireBuf()
	n, err := s.cl.Conn.Read(s.buf)
	if n == 0 && err != nil {
		s.releaseBuf()
		return err
	}
	s.w = n
	return nil
}

// rawWait waits through the raw connection until bytes arrive and reads
// them into a fresh buffer.
func (s *Session) rawWait() error {
	s.rawN, s.rawErr = 0, nil
	if err := s.rc.Read(s.rawFn); err != nil {
		return err
	}
	if s.rawErr != nil {
		return s.rawErr
	}
	if s.rawN == 0 {
		return io.EOF
	}
	s.w = s.rawN
	return nil
}

// readHead reads and parses the next request head into s.hs.req and
// starts its exchange. It reports !ok when the connection must close (it
// has answered a head it refused) or has parked.
func (s *Session) readHead() (ok, isParked bool) {
	set := s.set
	if s.r == s.w {
		wait := set.KeepAliveTimeout
		if s.first {
			wait = set.RequestTimeout
		} else if wait <= 0 {
			wait = set.FrontTimeout
		}
		var now time.Time
		if s.hs != nil {
			now = s.hs.x.Ended() // the request just served ended then
		}
		if now.IsZero() {
			now = time.Now()
		}
		s.idleSince.Store(listener.Mono(now))
		if err := s.waitData(now, now.Add(wait)); err != nil {
			return false, err == errParked
		}
	}
	s.acquireHeads()
	x := &s.hs.x
	x.Start()
	headDeadline := x.Started().Add(set.RequestTimeout)
	deadlineSet := false
	for {
		_, err := h1.ParseRequest(s.buf[s.r:s.w], &s.hs.req, set.Limits)
		if err == nil {
			return true, false
		}
		if err != h1.ErrIncomplete {
			status := 400
			var pe *h1.Error
			if errors.As(err, &pe) {
				status = pe.Status
			}
			s.refuse(status, metrics.ClientParse)
			s.env.Log.Debug("bad request", "request_id", string(x.ID[:]), "listener", s.ln.Addr,
				"client", s.cl.Addr.Addr().String(), "error", err)
			return false, false
		}
		if !s.makeRoom(set.Limits) {
			return false, false
		}
		if !deadlineSet {
			if s.cl.Conn.SetReadDeadline(headDeadline) != nil {
				return false, false
			}
			deadlineSet = true
		}
		n, err := s.sock.Read(s.buf[s.w:])
		s.w += n
		if err != nil && n == 0 {
			if isTimeout(err) {
				s.refuse(408, metrics.ClientTimeout)
			}
			return false, false
		}
	}
}

// refuse answers a head the session refuses (unparsable, too large, too
// slow) and ends its exchange; the connection closes after it.
func (s *Session) refuse(status int, kind metrics.ClientError) {
	x := &s.hs.x
	x.CountIn(s.w - s.r)
	s.hs.req.Reset()
	x.Refused(s, status, kind)
	x.Finish()
}

// makeRoom makes space after s.w for more of a head: it moves unread bytes
// to the front, or moves to a buffer big enough for the head limit.
func (s *Session) makeRoom(lim h1.Limits) bool {
	if s.w < len(s.buf) {
		return true
	}
	if s.r > 0 {
		n := copy(s.buf, s.buf[s.r:s.w])
		s.r, s.w = 0, n
		return true
	}
	max := lim.MaxHeadBytes
	if max <= 0 {
		max = h1.DefaultMaxHeadBytes
	}
	if len(s.buf) > max {
		return false // the parser has answered 431 already
	}
	big := make([]byte, max+1024)
	n := copy(big, s.buf[s.r:s.w])
	s.releaseBuf()
	s.buf, s.r, s.w = big, 0, n
	return true
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
