package h2

import (
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/pipe"
)

// WebSocket over HTTP/2 (RFC 8441): a stream of an extended CONNECT with
// :protocol websocket that the backend upgraded is a tunnel. The stream
// answers 200 with the backend's fields, then its DATA carries the bytes
// both ways, relayed by internal/pipe (the same relay as an HTTP/1.1
// upgrade's: half-closes, idle timeouts per side) between the backend
// connection and the stream seen as a net.Conn (tunnelConn): reads take
// the client's DATA (granting window back as the relay takes them), writes
// queue DATA within the windows, a half-close is END_STREAM, and a relay
// that ends badly resets the stream (RST_STREAM(CANCEL)). The client's
// END_STREAM half-closes the backend connection; its RST_STREAM closes it.

// Tunnel completes a WebSocket bridged from an extended CONNECT (see
// exchange/websocket.go): it answers the stream 200 and relays bytes
// between it and bc until both sides end, one stays idle for the
// listener's tunnel_timeout, or the stream is reset.
func (st *stream) Tunnel(bc *backend.Conn, h *exchange.Head, early []byte) {
	c := st.c
	c.mu.Lock()
	if st.cut || c.dead {
		c.mu.Unlock()
		return
	}
	c.appendHeadersLocked(st.id, st.headLocked(200, h.Fields, -1), false)
	st.beginLocked()
	err := st.sendLocked(early, false)
	c.flushLocked()
	c.mu.Unlock()
	if err != nil {
		return
	}
	x := &st.x
	idle := x.Set.TunnelTimeout
	tc := &tunnelConn{st: st, rtimer: time.NewTimer(time.Hour)}
	tc.rtimer.Stop()
	res := pipe.Run(pipe.Side{Conn: tc, Idle: idle}, pipe.Side{Conn: bc.Bare(), Idle: idle, Buf: x.TunnelBuffer()})
	x.CountTunnel(res.AToB, res.BToA)
	c.mu.Lock()
	switch {
	case st.cut || !st.inMap:
	case res.Err != nil:
		c.resetLocked(st, codeCancel)
	case !st.localDone:
		// Both sides ended, the client first: the relay closed rather
		// than half-closed the stream (the last FIN): END_STREAM.
		_ = st.sendLocked(nil, true)
	}
	c.flushLocked()
	c.mu.Unlock()
	if res.Err != nil {
		st.s.env.Log.Debug("tunnel ended", "request_id", string(x.ID[:]), "sent", res.AToB,
			"received", res.BToA, "reason", res.Err)
	}
}

// tunnelConn is a tunnel's stream as the relay sees it. Read runs in the
// stream's worker, Write in the relay's other goroutine; each waits on a
// wake channel of its own (rwake, swake). Write deadlines are not kept:
// a write waits for window at most front_timeout, as a response's does.
type tunnelConn struct {
	st     *stream
	rdl    time.Time   // read deadline, under the connection's lock
	rtimer *time.Timer // Read's (the stream's timer is Write's, in sendLocked)
}

var errTunnelClosed = errors.New("h2: tunnel stream closed")

// Read reads the client's DATA.
func (t *tunnelConn) Read(p []byte) (int, error) {
	st := t.st
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case st.rd < len(st.in):
			return st.takeLocked(p), nil
		case st.remoteDone:
			return 0, io.EOF
		case st.cut || c.dead:
			return 0, errTunnelClosed
		}
		var d time.Duration
		if !t.rdl.IsZero() {
			if d = time.Until(t.rdl); d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
		}
		if t.waitRead(d) {
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// waitRead waits for the stream's rwake with the lock released, at most d
// when d > 0; it reports a timeout.
func (t *tunnelConn) waitRead(d time.Duration) bool {
	st := t.st
	c := st.c
	c.mu.Unlock()
	defer c.mu.Lock()
	if d <= 0 {
		<-st.rwake
		return false
	}
	t.rtimer.Reset(d)
	defer t.rtimer.Stop()
	select {
	case <-st.rwake:
		return false
	case <-t.rtimer.C:
		return true
	}
}

// Write queues p as DATA.
func (t *tunnelConn) Write(p []byte) (int, error) {
	st := t.st
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.localDone {
		return 0, errTunnelClosed
	}
	if err := st.sendLocked(p, false); err != nil {
		return 0, err
	}
	c.flushLocked()
	return len(p), nil
}

// CloseWrite ends the server's side of the stream: END_STREAM.
func (t *tunnelConn) CloseWrite() error {
	st := t.st
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	err := st.sendLocked(nil, true)
	c.flushLocked()
	return err
}

// Close ends the relay's use of the stream. While the client still sends,
// the relay can only have failed (or stayed idle): the stream is reset
// (RST_STREAM(CANCEL)), which also ends a Read or Write in progress. Once
// the client has ended its side, the relay may have ended cleanly, and
// Tunnel, which knows, ends the stream after the relay returns.
func (t *tunnelConn) Close() error {
	st := t.st
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.inMap && !st.cut && !st.remoteDone {
		c.resetLocked(st, codeCancel)
		c.flushLocked()
	}
	st.wakeUp()
	return nil
}

func (t *tunnelConn) LocalAddr() net.Addr  { return t.st.c.raw.LocalAddr() }
func (t *tunnelConn) RemoteAddr() net.Addr { return t.st.c.raw.RemoteAddr() }

// SetDeadline sets the read deadline (see tunnelConn).
func (t *tunnelConn) SetDeadline(d time.Time) error { return t.SetReadDeadline(d) }

// SetReadDeadline bounds Read; a Read in progress sees it when next woken.
func (t *tunnelConn) SetReadDeadline(d time.Time) error {
	c := t.st.c
	c.mu.Lock()
	t.rdl = d
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline does nothing (see tunnelConn).
func (t *tunnelConn) SetWriteDeadline(time.Time) error { return nil }
