package backend

import (
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
)

// SendProxyHeader writes h as a PROXY protocol v2 header at the start of c
// (a new connection of a send_proxy cluster) within timeout.
func (c *Conn) SendProxyHeader(h *proxyproto.Header, timeout time.Duration) error {
	var buf [256]byte
	_ = c.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.Write(proxyproto.AppendV2(buf[:0], h))
	return err
}
