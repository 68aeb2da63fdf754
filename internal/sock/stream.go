//go:build linux

package sock

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Stream is an accepted TCP connection (see Listener) that starts as its
// bare descriptor and joins the runtime's network poller only when it first
// has to wait: a read that finds nothing yet, a write that finds the send
// buffer full. A connection that is read, answered and closed without
// waiting, as a client's single request on a new connection usually is,
// then costs no epoll_ctl to add it and none to remove it, no getsockname
// and none of a net.TCPConn's allocations. Joining costs what net's accept
// would have (os.NewFile: an fcntl and the epoll_ctl); from then on the
// Stream waits, times out and is woken by Close through the poller, like a
// net.TCPConn.
//
// A Stream is a net.Conn and a syscall.Conn: its RawConn makes the same
// bare calls until the Stream joins, so a Conn (Init) works on it
// unchanged. Its methods are safe for concurrent use as a net.Conn's are:
// Close from any goroutine ends a Read or Write in progress, and the
// descriptor is closed only once no call on it is still running, so that
// it is never reused under a call. Deadlines are honoured before joining
// too: a call made after its deadline fails with os.ErrDeadlineExceeded.
type Stream struct {
	fd int
	// state is bit 0: closed; above it, the bare calls in progress, two
	// per call. The last of Close and those calls closes fd.
	state  atomic.Uint64
	joined atomic.Pointer[joined] // set once the Stream is in the poller

	// rdl and wdl are the read and write deadlines, kept by the bare
	// calls and handed to the joined file lazily (deadline.go). mu orders
	// every change of them with joining, which hands them to the file.
	rdl, wdl lazy
	mu       sync.Mutex
	peer     netip.AddrPort
	local    net.Addr // nil until known (a listener bound to a wildcard); under mu
}

// joined is the Stream's descriptor once it is in the poller: the file
// owns the descriptor from then on.
type joined struct {
	f  *os.File
	rc syscall.RawConn
}

// acquire counts a bare call in progress; false once the Stream is closed.
func (s *Stream) acquire() bool {
	for {
		v := s.state.Load()
		if v&1 != 0 {
			return false
		}
		if s.state.CompareAndSwap(v, v+2) {
			return true
		}
	}
}

// done ends a bare call, closing the descriptor when it was the last one
// of a closed Stream.
func (s *Stream) done() {
	if s.state.Add(^uint64(1)) == 1 { // minus 2: no call left, closed
		s.closeFD()
	}
}

func (s *Stream) closeFD() {
	if j := s.joined.Load(); j != nil {
		_ = j.f.Close()
		return
	}
	closeRaw(s.fd)
}

// join puts the Stream in the poller, once; the caller holds a bare call.
func (s *Stream) join() (*joined, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.joined.Load(); j != nil {
		return j, nil
	}
	if s.state.Load()&1 != 0 {
		return nil, s.closed("read")
	}
	// The descriptor is non-blocking (accept4's SOCK_NONBLOCK), so the
	// file goes into the poller. From here the file owns the descriptor,
	// even if it could not join (a deadline is refused then): Close closes
	// it through the file.
	f := os.NewFile(uintptr(s.fd), "tcp")
	rc, err := f.SyscallConn()
	j := &joined{f: f, rc: rc}
	if err == nil {
		s.rdl.held, s.wdl.held = s.rdl.want.Load(), s.wdl.want.Load()
		if err = f.SetReadDeadline(deadline(s.rdl.held)); err == nil {
			err = f.SetWriteDeadline(deadline(s.wdl.held))
		}
	}
	if err != nil {
		s.joined.Store(j)
		return nil, &net.OpError{Op: "wait", Net: "tcp", Err: err}
	}
	s.joined.Store(j)
	return j, nil
}

// closed is the error of a call on a closed Stream, as net.Conn's.
func (s *Stream) closed(op string) error {
	return &net.OpError{Op: op, Net: "tcp", Err: net.ErrClosed}
}

// fileErr turns an error of the joined file (or its RawConn) into the one
// a net.Conn returns.
func (s *Stream) fileErr(op string, err error) error {
	switch {
	case err == nil || err == io.EOF:
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &net.OpError{Op: op, Net: "tcp", Err: os.ErrDeadlineExceeded}
	case s.state.Load()&1 != 0:
		return s.closed(op)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Err: err}
}

var errTimeout = os.ErrDeadlineExceeded

// begin starts a bare call (op, under the deadline dl): it takes a
// reference to the descriptor, which the caller gives back with done, or
// returns the error of a closed stream or a passed deadline.
func (s *Stream) begin(op string, dl int64) error {
	if !s.acquire() {
		return s.closed(op)
	}
	if passed(dl) {
		s.done()
		return &net.OpError{Op: op, Net: "tcp", Err: errTimeout}
	}
	return nil
}

// Read reads into p, waiting (and joining the poller) when nothing is
// there yet. It returns io.EOF at the end of the stream.
func (s *Stream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.joined.Load() == nil {
		if err := s.begin("read", s.rdl.want.Load()); err != nil {
			return 0, err
		}
		n, again, err := ReadFD(uintptr(s.fd), p)
		if !again {
			s.done()
			return n, err
		}
		_, err = s.join()
		s.done()
		if err != nil {
			return 0, err
		}
	}
	for {
		n, err := s.joined.Load().f.Read(p)
		if n == 0 && s.early(err, false) {
			continue
		}
		return n, s.fileErr("read", err)
	}
}

// Write writes p whole, waiting (and joining the poller) when the send
// buffer is full.
func (s *Stream) Write(p []byte) (int, error) {
	done := 0
	if s.joined.Load() == nil {
		if err := s.begin("write", s.wdl.want.Load()); err != nil {
			return 0, err
		}
		k := call{out: p}
		if k.write(uintptr(s.fd)) {
			s.done()
			return k.done, k.err
		}
		done = k.done
		_, err := s.join()
		s.done()
		if err != nil {
			return done, err
		}
	}
	for {
		n, err := s.joined.Load().f.Write(p[done:])
		done += n
		if s.early(err, true) {
			continue
		}
		return done, s.fileErr("write", err)
	}
}

// Close closes the connection, now or, when a bare call is running, as
// soon as it returns; a Read or Write waiting in the poller returns
// net.ErrClosed. Closing twice is an error.
func (s *Stream) Close() error {
	old := s.state.Or(1)
	if old&1 != 0 {
		return s.closed("close")
	}
	if old>>1 == 0 {
		s.closeFD()
	}
	return nil
}

// CloseWrite sends the end of the stream (shutdown for writing); reading
// goes on.
func (s *Stream) CloseWrite() error {
	var err error
	cerr := (*streamConn)(s).Control(func(fd uintptr) {
		err = syscall.Shutdown(int(fd), syscall.SHUT_WR)
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return &net.OpError{Op: "close", Net: "tcp", Err: os.NewSyscallError("shutdown", err)}
	}
	return nil
}

// Peer is the client's address, as accept(2) gave it (IPv4-mapped
// addresses unmapped).
func (s *Stream) Peer() netip.AddrPort { return s.peer }

// RemoteAddr is Peer as a *net.TCPAddr (a new one per call).
func (s *Stream) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(s.peer) }

// LocalAddr is the connection's own address: the listener's, or asked of
// the socket (getsockname) the first time when the listener is bound to a
// wildcard address.
func (s *Stream) LocalAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local == nil {
		var sa syscall.Sockaddr
		err := (*streamConn)(s).Control(func(fd uintptr) { sa, _ = syscall.Getsockname(int(fd)) })
		if err != nil || sa == nil {
			return &net.TCPAddr{}
		}
		s.local = sockaddrTCP(sa)
	}
	return s.local
}

// SetDeadline sets both deadlines, as net.Conn's.
func (s *Stream) SetDeadline(t time.Time) error {
	if err := s.SetReadDeadline(t); err != nil {
		return err
	}
	return s.SetWriteDeadline(t)
}

// SetReadDeadline sets the time after which a Read (or a wait in the
// RawConn's Read) fails with os.ErrDeadlineExceeded; zero means none. A
// time in the past makes a Read in progress return.
func (s *Stream) SetReadDeadline(t time.Time) error {
	return s.setDeadline(t, &s.rdl, (*os.File).SetReadDeadline)
}

// SetWriteDeadline is SetReadDeadline for writes.
func (s *Stream) SetWriteDeadline(t time.Time) error {
	return s.setDeadline(t, &s.wdl, (*os.File).SetWriteDeadline)
}

// setDeadline records the deadline t in l; once the Stream is joined, it
// hands it to the runtime's poller by the rule of deadline.go.
func (s *Stream) setDeadline(t time.Time, l *lazy, set func(*os.File, time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Load()&1 != 0 {
		return &net.OpError{Op: "set", Net: "tcp", Err: net.ErrClosed}
	}
	if j := s.joined.Load(); j == nil {
		l.want.Store(offset(t))
	} else if l.set(offset(t)) {
		return s.fileErr("set", set(j.f, t))
	}
	return nil
}

// early reports whether err is the poller's deadline firing before the
// Stream's own (write tells which): it then hands the true one (or none)
// to the poller, and the caller tries again.
func (s *Stream) early(err error, write bool) bool {
	if !isDeadline(err) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, set := &s.rdl, (*os.File).SetReadDeadline
	if write {
		l, set = &s.wdl, (*os.File).SetWriteDeadline
	}
	j := s.joined.Load()
	if j == nil || s.state.Load()&1 != 0 || !l.early() {
		return false
	}
	return set(j.f, deadline(l.held)) == nil
}

// sockaddrTCP is sa as a *net.TCPAddr.
func sockaddrTCP(sa syscall.Sockaddr) *net.TCPAddr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *syscall.SockaddrInet6:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port)))
	}
	return &net.TCPAddr{}
}

var (
	_ net.Conn     = (*Stream)(nil)
	_ syscall.Conn = (*Stream)(nil)
)
