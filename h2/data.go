package h2

// DATA frames: request body bytes held for the stream's exchange, within
// the windows and the declared content-length (the exchange reads them
// through body.go).

// onData takes request body bytes, within the flow-control windows and
// the declared content-length.
func (c *conn) onData(flags byte, id uint32, p []byte) error {
	if id == 0 {
		return protoErr("DATA on stream 0")
	}
	length := len(p)
	data := p
	if flags&flagPadded != 0 {
		if length == 0 || int(p[0]) >= length {
			return protoErr("DATA padding too long")
		}
		data = p[1 : length-int(p[0])]
	}
	if length == 0 && flags&flagEndStream == 0 && c.fl.over(countEmptyData) {
		return ErrFlood
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(length) > c.recvWin {
		return &connError{codeFlowControl, "DATA over the connection window"}
	}
	c.recvWin -= int64(length)
	st := c.streams[id]
	if st == nil {
		if id > c.lastID {
			return protoErr("DATA on an idle stream")
		}
		c.grantLocked(length)
		c.out = appendRSTStream(c.out, id, codeStreamClosed)
		c.kickLocked()
		return nil
	}
	if st.remoteDone {
		c.grantLocked(length)
		c.resetLocked(st, codeStreamClosed)
		return nil
	}
	if int64(length) > st.recvWin {
		c.grantLocked(length)
		c.resetLocked(st, codeFlowControl)
		return nil
	}
	st.recvWin -= int64(length)
	st.recvd += int64(len(data))
	if st.cl >= 0 && st.recvd > st.cl {
		c.grantLocked(length)
		st.badBody = true
		c.resetLocked(st, codeProtocol) // longer than its content-length
		return nil
	}
	if pad := length - len(data); pad > 0 {
		c.grantLocked(pad)
		st.recvAck += pad
	}
	if st.discard {
		c.grantLocked(len(data))
	} else {
		st.in = append(st.in, data...)
	}
	if flags&flagEndStream != 0 {
		st.remoteDone = true
		if st.cl >= 0 && st.recvd != st.cl {
			st.badBody = true // shorter than its content-length
		}
		if st.localDone {
			c.removeLocked(st)
		}
	}
	st.wakeUp()
	return nil
}
