package backend

import (
	"net"

	"github.com/sluiceproxy/sluice/metrics"
)

// meteredConn is a connection to an HTTP/2 backend that counts the bytes
// written and read in the backend's metrics (BytesSent, BytesReceived) as
// they go: the connection's streams share its frames, so its bytes are
// counted where they pass, not per request (frame headers, SETTINGS and
// PING included). Over TLS it counts the plaintext, as the byte counts of
// an HTTP/1.1 backend do.
type meteredConn struct {
	net.Conn
	m *metrics.Backend
}

// metered wraps c in a meteredConn when b keeps metrics.
func (b *Backend) metered(c net.Conn) net.Conn {
	if b.M == nil {
		return c
	}
	return meteredConn{Conn: c, m: b.M}
}

func (c meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.m.BytesReceived.Add(int64(n))
	return n, err
}

func (c meteredConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.m.BytesSent.Add(int64(n))
	return n, err
}
