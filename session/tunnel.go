package session

import (
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/pipe"
)

// Tunnel completes an upgrade: it writes the 101 response and any bytes the
// backend sent early, passes on what the client sent right after its
// request, then relays bytes both ways (package internal/pipe: splice
// between TCP connections, a copy through the session's and the exchange's
// buffers otherwise) until both directions end or a side stays idle for
// the listener's tunnel timeout. Half-closes are relayed. The connection
// is not reused.
func (s *Session) Tunnel(bc *backend.Conn, h *exchange.Head, early []byte) {
	s.keep = false
	out := appendStatusLine(s.outBuf(), h)
	out = appendFields(out, h.Fields)
	out = append(out, "Connection: upgrade\r\nUpgrade: "...)
	out = append(out, h.Upgrade...)
	out = append(out, "\r\n\r\n"...)
	if s.sendOut(append(out, early...), nil) != nil {
		return
	}
	if s.r < s.w { // client bytes sent right after its request
		_ = bc.SetWriteDeadline(time.Now().Add(s.set.BackTimeout))
		if _, err := bc.Write(s.buf[s.r:s.w]); err != nil {
			return
		}
		s.r = s.w
	}
	x := &s.hs.x
	idle := s.set.TunnelTimeout
	res := pipe.Run(pipe.Side{Conn: s.cl.Conn, Idle: idle, Buf: s.buf[:cap(s.buf)]},
		pipe.Side{Conn: bc.Bare(), Idle: idle, Buf: x.TunnelBuffer()})
	x.CountTunnel(res.AToB, res.BToA)
	if res.Err != nil {
		s.env.Log.Debug("tunnel ended", "request_id", string(x.ID[:]), "sent", res.AToB,
			"received", res.BToA, "reason", res.Err)
	}
}
