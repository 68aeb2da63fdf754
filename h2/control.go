package h2

import "encoding/binary"

// Connection-level control frames: SETTINGS (the client's applied in
// order, and acknowledged) and PING (answered).

// onPing answers a PING.
func (c *conn) onPing(flags byte, id uint32, p []byte) error {
	switch {
	case id != 0:
		return protoErr("PING on a stream")
	case len(p) != 8:
		return frameSizeErr("PING of a length other than 8")
	case flags&flagAck != 0:
		return nil
	case c.fl.over(countPings):
		return ErrFlood
	}
	c.mu.Lock()
	c.out = append(appendFrameHeader(c.out, 8, framePing, flagAck, 0), p...)
	c.kickLocked()
	c.mu.Unlock()
	return nil
}

// onSettings applies the client's settings in order (a parameter may come
// more than once: the last value stands) and acknowledges them.
func (c *conn) onSettings(flags byte, id uint32, p []byte) error {
	switch {
	case id != 0:
		return protoErr("SETTINGS on a stream")
	case flags&flagAck != 0:
		if len(p) != 0 {
			return frameSizeErr("SETTINGS ack with a payload")
		}
		return nil
	case len(p)%6 != 0:
		return frameSizeErr("SETTINGS of a length not a multiple of 6")
	case c.fl.over(countSettings):
		return ErrFlood
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for ; len(p) > 0; p = p[6:] {
		v := binary.BigEndian.Uint32(p[2:])
		switch binary.BigEndian.Uint16(p) {
		case settingEnablePush:
			if v > 1 {
				return protoErr("SETTINGS_ENABLE_PUSH not 0 or 1")
			}
		case settingInitialWindowSize:
			if v > maxWindow {
				return &connError{codeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1"}
			}
			delta := int64(v) - c.peerWin
			c.peerWin = int64(v)
			for _, st := range c.streams {
				st.sendWin += delta
				if st.sendWin > maxWindow {
					return &connError{codeFlowControl, "a stream window over 2^31-1"}
				}
				st.wakeUp()
			}
		case settingMaxFrameSize:
			if v < maxFrame || v > 1<<24-1 {
				return protoErr("SETTINGS_MAX_FRAME_SIZE out of range")
			}
			c.peerMax = min(int(v), maxFrame)
		case settingHeaderTableSize:
			c.enc.peerTableSize(v)
		}
	}
	c.out = appendFrameHeader(c.out, 0, frameSettings, flagAck, 0)
	c.kickLocked()
	return nil
}
