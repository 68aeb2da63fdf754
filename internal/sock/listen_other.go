//go:build unix && !linux

package sock

import (
	"net"
	"time"
)

// Listener would accept Streams; it is only made on Linux.
type Listener struct{}

// NewListener reports false: Streams are only made on Linux.
func NewListener(ln net.Listener) (*Listener, bool) { return nil, false }

// Accept is never called where NewListener reports false.
func (l *Listener) Accept() (net.Conn, error) { return nil, net.ErrClosed }

// SetDeadline does nothing.
func (l *Listener) SetDeadline(t time.Time) error { return nil }

// Close does nothing.
func (l *Listener) Close() error { return nil }

// DeferAccept does nothing: TCP_DEFER_ACCEPT is Linux's.
func DeferAccept(ln *net.TCPListener, on bool) error { return nil }
