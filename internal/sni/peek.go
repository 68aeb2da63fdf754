package sni

import (
	"errors"
	"net"
	"time"
)

// Conn is what Peek reads from: a net.Conn, or anything with a read
// deadline.
type Conn interface {
	Read(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

// Peek reads the start of a TLS connection into buf until Parse knows the
// server name, for at most timeout (a read deadline on c, cleared before
// it returns unless it failed) and at most len(buf) bytes (MaxHello when
// buf is longer). It returns the number of bytes read into buf, which
// belong to the connection and must be replayed, and Parse's answer: the
// name (a slice of buf or scratch), nil for a ClientHello without SNI,
// ErrNotTLS (after as little as one byte), ErrTooLarge, a malformed
// error, or the read error (io.EOF, a timeout: see IsTimeout) when the
// connection ended or stayed silent first.
//
// scratch must hold MaxHello bytes (see Parse). Peek allocates nothing.
func Peek(c Conn, buf, scratch []byte, timeout time.Duration) (int, []byte, error) {
	if len(buf) > MaxHello {
		buf = buf[:MaxHello]
	}
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return 0, nil, err
	}
	n := 0
	for {
		m, rerr := c.Read(buf[n:])
		n += m
		name, err := Parse(buf[:n], scratch)
		switch {
		case err == ErrNeedMore && rerr != nil:
			return n, nil, rerr
		case err == ErrNeedMore && n == len(buf):
			return n, nil, ErrTooLarge
		case err == ErrNeedMore:
			continue
		case err != nil:
			return n, nil, err
		}
		if err := c.SetReadDeadline(time.Time{}); err != nil {
			return n, nil, err
		}
		return n, name, nil
	}
}

// IsTimeout reports whether Peek's error is its deadline passing.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
