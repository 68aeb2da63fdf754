package exchange

import "github.com/sluiceproxy/sluice/backend"

// tunnel completes an upgrade the backend accepted: the front relays the
// 101 response and then bytes both ways until both sides end. The
// connection is not reused (Unread: an HTTP/1.1 front closes it).
func (x *Exchange) tunnel(bc *backend.Conn) Result {
	x.finishUpload(false)
	resp := &x.resp
	h := x.backendHead(NoBody)
	h.Upgrade = upgradeValue(resp.Headers)
	if x.Req.BridgeWebSocket {
		h.Fields = dropWSAccept(h.Fields)
	}
	x.began = true
	if x.Req.BridgeWebSocket {
		// The client of a bridged WebSocket (HTTP/2's extended CONNECT)
		// gets 200, not the backend's 101: its metrics and access log
		// line say what it got (the backend's own figures keep the 101).
		x.m.sentStatus = 200
	}
	x.Env.Tunnels.Add(1)
	if lm := x.Ln.M; lm != nil {
		lm.TunnelsActive.Inc()
	}
	x.front.Tunnel(bc, h, x.buf[resp.HeadLen:x.n])
	x.Env.Tunnels.Add(-1)
	if lm := x.Ln.M; lm != nil {
		lm.TunnelsActive.Dec()
	}
	bc.Close()
	return Unread
}

// TunnelBuffer is the exchange's backend read buffer, which a front may
// use for the backend side of a tunnel while Tunnel runs.
func (x *Exchange) TunnelBuffer() []byte { return x.buf[:cap(x.buf)] }

// CountTunnel adds the bytes a tunnel relayed to the exchange's accounting:
// in from the client (and to the backend), out to it (from the backend).
func (x *Exchange) CountTunnel(in, out int64) {
	x.m.in.Add(in)
	x.m.sentB += in
	x.m.out, x.m.recvB = x.m.out+out, x.m.recvB+out
}
