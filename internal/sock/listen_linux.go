package sock

import (
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Listener accepts the connections of a listening TCP socket as Streams,
// with accept4(2) made as a raw call inside the runtime poller's wait for
// the listening socket. Accept is for one goroutine at a time; Close ends
// an Accept in progress.
//
// A net.TCPListener's RawConn cannot wait (its Read fails with EINVAL), so
// a Listener waits on a duplicate of the socket's descriptor (the
// listener's File), which shares the socket and its non-blocking mode.
type Listener struct {
	f      *os.File
	closed atomic.Bool
	rc     syscall.RawConn
	local  net.Addr // of the accepted connections; nil for a wildcard address
	fn     func(fd uintptr) bool
	// inherit is set when TCP_NODELAY is set on the listening socket:
	// Linux copies it to every connection accepted from it, so Accept
	// sets it only when inherit is false.
	inherit bool

	// The accept in progress: its results, written by fn.
	nfd   int
	sa    syscall.RawSockaddrAny
	salen uint32
	err   error
}

// NewListener makes a Listener of ln, which must be a *net.TCPListener; it
// reports false where Streams are not made (other listeners, other
// systems, no descriptor left for the duplicate), and ln is then used as
// it is. The Listener must be closed, as well as ln.
func NewListener(ln net.Listener) (*Listener, bool) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, false
	}
	f, err := tl.File()
	if err != nil {
		return nil, false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, false
	}
	l := &Listener{f: f, rc: rc}
	_ = rc.Control(func(fd uintptr) {
		l.inherit = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1) == nil
	})
	if ta, ok := tl.Addr().(*net.TCPAddr); ok && !ta.IP.IsUnspecified() {
		l.local = ta
	}
	l.fn = l.accept
	return l, true
}

// Accept waits for the next connection and returns it as a Stream, with
// TCP_NODELAY set as net's accept sets it: inherited from the listening
// socket (NewListener sets it there, which saves a setsockopt per
// connection), else set on the connection. The error is net's when the
// listener was closed (errors.Is net.ErrClosed), or accept4's (out of
// descriptors, say).
func (l *Listener) Accept() (*Stream, error) {
	l.nfd, l.err = -1, nil
	if err := l.rc.Read(l.fn); err != nil {
		if l.closed.Load() {
			err = net.ErrClosed
		}
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.local, Err: err}
	}
	if l.err != nil {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.local, Err: l.err}
	}
	if !l.inherit {
		one := int32(1)
		_, _, _ = syscall.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(l.nfd), syscall.IPPROTO_TCP,
			syscall.TCP_NODELAY, uintptr(unsafe.Pointer(&one)), 4, 0)
	}
	return &Stream{fd: l.nfd, peer: l.peer(), local: l.local}, nil
}

// SetDeadline sets the time after which Accept fails with an error that
// is os.ErrDeadlineExceeded (errors.Is); zero means none.
func (l *Listener) SetDeadline(t time.Time) error { return l.f.SetReadDeadline(t) }

// Close closes the Listener's descriptor (not the net.Listener's), ending
// an Accept in progress with net.ErrClosed.
func (l *Listener) Close() error {
	l.closed.Store(true)
	return l.f.Close()
}

// accept is Accept's callback: one accept4, or false to wait when no
// connection is pending.
func (l *Listener) accept(fd uintptr) bool {
	for {
		l.salen = syscall.SizeofSockaddrAny
		r, _, e := syscall.RawSyscall6(unix.SYS_ACCEPT4, fd, uintptr(unsafe.Pointer(&l.sa)),
			uintptr(unsafe.Pointer(&l.salen)), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
			l.nfd = int(r)
			return true
		case syscall.EINTR, syscall.ECONNABORTED:
			// The peer gave up before the accept: take the next one.
		case syscall.EAGAIN:
			return false
		default:
			l.err = os.NewSyscallError("accept4", e)
			return true
		}
	}
}

// peer decodes the address accept4 gave.
func (l *Listener) peer() netip.AddrPort {
	switch l.sa.Addr.Family {
	case syscall.AF_INET:
		a := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&l.sa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(p[0])<<8|uint16(p[1]))
	case syscall.AF_INET6:
		a := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&l.sa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}

// closeRaw is close(2) as a raw call: on a non-blocking socket without
// SO_LINGER it does not block.
func closeRaw(fd int) { _, _, _ = syscall.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0) }

// DeferAccept turns TCP_DEFER_ACCEPT on or off for ln: on, the kernel
// hands a connection to accept only once its first bytes have arrived
// (or, for a client that sends nothing, once it has answered a repeated
// SYN-ACK, about DeferSeconds after connecting), so that the first read
// of a client that speaks first (HTTP) finds its request: no read that
// finds nothing, no joining the poller to wait for it, no leaving it at
// close. Off, connections are handed over once connected, as for a
// protocol whose server speaks first. The option belongs to the socket,
// which may move from one listener to another (a reload, an upgrade), so
// each listener sets it the way it wants.
func DeferAccept(ln *net.TCPListener, on bool) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	secs := 0
	if on {
		secs = DeferSeconds
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, secs)
	}); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("setsockopt TCP_DEFER_ACCEPT", serr)
	}
	return nil
}

// DeferSeconds is how long a connection that sends nothing waits in the
// kernel before it is accepted anyway, under DeferAccept.
const DeferSeconds = 1
