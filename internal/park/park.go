// Package park watches idle connections for incoming bytes without holding a
// goroutine for each.
//
// A keep-alive connection waiting for its next request would otherwise keep
// a goroutine, and the goroutine's stack (4 KiB or more once it has served a
// request), for as long as the client stays silent. A session that has been
// idle for a while parks its connection here instead and lets its goroutine
// end; the Poller calls the connection's Waker, in a new goroutine, once
// bytes arrive or the peer hangs up.
//
// The Poller only reports readiness; it never reads, writes or closes a
// connection, and deadlines stay with the caller. It is implemented with
// epoll on Linux; elsewhere New returns ErrUnsupported and callers keep
// waiting in a goroutine.
package park

import (
	"errors"
	"syscall"
)

// ErrUnsupported is returned by New where the system has no poller for it.
var ErrUnsupported = errors.New("park: not supported on this system")

// ErrClosed is returned by Park once the Poller is closed.
var ErrClosed = errors.New("park: poller closed")

// Waker is what a parked connection is woken through.
type Waker interface {
	// Wake is called at most once per Park, in a goroutine of its own, when
	// the connection has bytes to read or its peer hung up. It may race with
	// the owner's own decision to end the connection (a timeout, a close):
	// the owner arbitrates with its own state.
	Wake()
}

// Expirer is a Waker whose park may end at a deadline (ParkUntil): when
// the deadline passes before the connection is readable, Expire is called
// instead of Wake, once, in a goroutine of its own. Expire and Wake are
// exclusive: a park ends in one of them, or in Unpark. After either, the
// owner calls Unpark before it parks the connection again.
type Expirer interface {
	Waker
	Expire()
}

// Key identifies one Park of one connection, for Unpark.
type Key uint64

// Conn is the part of a connection the Poller needs: its descriptor, lent
// for the duration of a call (net.TCPConn.SyscallConn gives one).
type Conn interface {
	Control(f func(fd uintptr)) error
}

var _ Conn = syscall.RawConn(nil)
