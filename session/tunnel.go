package session

import (
	"time"

	"github.com/sluiceproxy/sluice/internal/pipe"
)

// tunnel completes an upgrade: it relays the 101 response and any bytes
// either side sent early, then relays bytes both ways (package
// internal/pipe: splice between TCP connections, a copy through the
// session's two buffers otherwise, e.g. under TLS) until both directions
// end or a side stays idle for the listener's tunnel timeout. Half-closes
// are relayed. The connection is not reused. While it runs the tunnel is
// counted in Env.Tunnels.
func (x *responseExchange) tunnel(upgrade []byte) bool {
	s := x.s
	x.finishUpload(false)
	resp := s.resp
	out := s.appendResponseHead(s.out(), false, upgradeValue(resp.Headers))
	out = append(out, x.buf[resp.HeadLen:x.n]...)
	*s.outp = out[:cap(out)]
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
	n, err := s.sock.Write(out)
	s.m.out += int64(n)
	if err != nil {
		x.bc.Close()
		return false
	}
	if s.r < s.w { // client bytes sent right after its request
		_ = x.bc.SetWriteDeadline(time.Now().Add(s.set.BackTimeout))
		if _, err := x.bc.Write(s.buf[s.r:s.w]); err != nil {
			x.bc.Close()
			return false
		}
		s.r = s.w
	}
	s.env.Tunnels.Add(1)
	defer s.env.Tunnels.Add(-1)
	if lm := s.ln.M; lm != nil {
		lm.TunnelsActive.Inc()
		defer lm.TunnelsActive.Dec()
	}
	idle := s.set.TunnelTimeout
	res := pipe.Run(pipe.Side{Conn: s.conn, Idle: idle, Buf: s.buf[:cap(s.buf)]},
		pipe.Side{Conn: x.bc.Conn, Idle: idle, Buf: x.buf})
	s.m.in, s.m.sentB = s.m.in+res.AToB, s.m.sentB+res.AToB
	s.m.out, s.m.recvB = s.m.out+res.BToA, s.m.recvB+res.BToA
	if res.Err != nil {
		s.env.Log.Debug("tunnel ended", "request_id", string(s.id[:]), "sent", res.AToB,
			"received", res.BToA, "reason", res.Err)
	}
	x.bc.Close()
	return false
}
