package h2

import "encoding/binary"

// Flow control (RFC 9113 §6.9): WINDOW_UPDATE opens the send windows the
// streams wait on; received bytes are granted back to the client, per
// connection and per stream, as the exchanges consume them.

// onWindowUpdate opens a send window.
func (c *conn) onWindowUpdate(id uint32, p []byte) error {
	if len(p) != 4 {
		return frameSizeErr("WINDOW_UPDATE of a length other than 4")
	}
	inc := int64(binary.BigEndian.Uint32(p) & 0x7fffffff)
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == 0 {
		if c.fl.over(countWindowUpdates) {
			return ErrFlood
		}
		if inc == 0 {
			return protoErr("WINDOW_UPDATE of 0")
		}
		c.sendWin += inc
		if c.sendWin > maxWindow {
			return &connError{codeFlowControl, "connection window over 2^31-1"}
		}
		for _, st := range c.streams {
			if st.waitWin {
				st.wakeUp()
			}
		}
		return nil
	}
	if id > c.lastID {
		return protoErr("WINDOW_UPDATE on an idle stream")
	}
	st := c.streams[id]
	if st == nil {
		return nil // closed: ignored
	}
	if inc == 0 {
		c.resetLocked(st, codeProtocol)
		return nil
	}
	st.sendWin += inc
	if st.sendWin > maxWindow {
		c.resetLocked(st, codeFlowControl)
		return nil
	}
	st.wakeUp()
	return nil
}

// grantLocked gives n bytes back to the connection's receive window,
// sending WINDOW_UPDATE once a quarter of it is owed.
func (c *conn) grantLocked(n int) {
	c.recvAck += n
	if c.recvAck >= connWindow/4 && !c.dead {
		c.out = appendWindowUpdate(c.out, 0, c.recvAck)
		c.recvWin += int64(c.recvAck)
		c.recvAck = 0
		c.kickLocked()
	}
}

// consumedLocked grants n body bytes read by the exchange back to the
// client: to the connection's window, and to the stream's while the
// client still sends.
func (st *stream) consumedLocked(n int) {
	c := st.c
	if !st.tunnel { // a tunnel counts its bytes at its end
		st.x.CountIn(n)
	}
	c.grantLocked(n)
	if st.remoteDone || c.dead {
		return
	}
	st.recvAck += n
	if st.recvAck >= streamWindow/4 {
		c.out = appendWindowUpdate(c.out, st.id, st.recvAck)
		st.recvWin += int64(st.recvAck)
		st.recvAck = 0
		c.kickLocked()
	}
}
