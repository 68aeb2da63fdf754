package h2client

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/net/http2"
)

// The reading goroutine: the backend's frames, one at a time, each handed
// to the stream it is for.

func (c *Conn) readLoop() {
	defer close(c.done)
	stop, flushed := make(chan struct{}), make(chan struct{})
	go c.flusher(stop, flushed)
	defer func() { close(stop); <-flushed }()
	for {
		f, err := c.fr.ReadFrame()
		c.lastRead.Store(time.Now().UnixNano())
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				c.resetStream(se.StreamID, se.Code, fmt.Sprintf("malformed frame: %v", se))
				continue
			}
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				c.goAwayWith(http2.ErrCode(ce), err)
				return
			}
			if errors.Is(err, http2.ErrFrameTooLarge) { // RFC 9113 §4.2
				c.goAwayWith(http2.ErrCodeFrameSize, err)
				return
			}
			c.fail(err)
			return
		}
		if err := c.handle(f); err != nil {
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				c.goAwayWith(http2.ErrCode(ce), err)
			} else {
				c.fail(err)
			}
			return
		}
	}
}

// goAwayWith ends the connection for the backend's protocol error: a
// GOAWAY with code, then the close.
func (c *Conn) goAwayWith(code http2.ErrCode, err error) {
	c.mu.Lock()
	last := c.lastOpened
	c.mu.Unlock()
	c.wmu.Lock()
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	if c.fr.WriteGoAway(last, code, nil) == nil {
		c.bw.Flush()
	}
	c.wmu.Unlock()
	c.fail(fmt.Errorf("h2client: backend broke the protocol: %w", err))
}

func protoErr(reason string) error {
	return fmt.Errorf("%w: %s", http2.ConnectionError(http2.ErrCodeProtocol), reason)
}

func (c *Conn) handle(f http2.Frame) error {
	if _, ok := f.(*http2.SettingsFrame); !ok && !c.gotSettings {
		return protoErr("the backend's preface is not a SETTINGS frame")
	}
	switch f := f.(type) {
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.MetaHeadersFrame:
		return c.onHeaders(f)
	case *http2.RSTStreamFrame:
		c.mu.Lock()
		if s := c.streams[f.StreamID]; s != nil {
			s.reset = true
			s.failLocked(&StreamError{Code: f.ErrCode})
			c.cond.Broadcast()
		} else if f.StreamID > c.lastOpened {
			c.mu.Unlock()
			return protoErr("RST_STREAM on an idle stream")
		}
		c.mu.Unlock()
	case *http2.SettingsFrame:
		return c.onSettings(f)
	case *http2.PingFrame:
		if f.IsAck() {
			c.mu.Lock()
			c.pingSent = time.Time{}
			c.mu.Unlock()
			return nil
		}
		data := f.Data
		c.writeControl(func() error { return c.fr.WritePing(true, data) })
	case *http2.GoAwayFrame:
		c.onGoAway(f)
	case *http2.WindowUpdateFrame:
		return c.onWindowUpdate(f)
	case *http2.PushPromiseFrame:
		return protoErr("PUSH_PROMISE, push being disabled")
	}
	// PRIORITY and frames of unknown types are ignored (RFC 9113 §5.5).
	return nil
}

func (c *Conn) onData(f *http2.DataFrame) error {
	size := int(f.Header().Length) // padding included: it counts in flow control
	data := f.Data()
	c.mu.Lock()
	if c.recvWin -= size; c.recvWin < 0 {
		c.mu.Unlock()
		return fmt.Errorf("%w: DATA beyond the connection's window", http2.ConnectionError(http2.ErrCodeFlowControl))
	}
	grant := 0
	c.recvCredit += size
	if c.recvCredit >= connWindow/2 {
		grant, c.recvCredit = c.recvCredit, 0
		c.recvWin += grant
	}
	s := c.streams[f.StreamID]
	var err error
	switch {
	case s == nil:
		if f.StreamID > c.lastOpened {
			err = protoErr("DATA on an idle stream")
		}
		// Else a stream closed here: its data is dropped.
	case s.reset || s.err != nil:
		// Reset, or failed: dropped.
	case !s.final || s.endRecv:
		s.err = &StreamError{Code: http2.ErrCodeProtocol, Reason: "DATA before a final response head, or after the end"}
		s.notify()
		defer c.resetStream(s.id, http2.ErrCodeProtocol, "")
	case size > s.recvWin:
		s.err = &StreamError{Code: http2.ErrCodeFlowControl, Reason: "DATA beyond the stream's window"}
		s.notify()
		defer c.resetStream(s.id, http2.ErrCodeFlowControl, "")
	case s.remain >= 0 && int64(len(data)) > s.remain:
		s.err = &StreamError{Code: http2.ErrCodeProtocol, Reason: "DATA beyond the content-length"}
		s.notify()
		defer c.resetStream(s.id, http2.ErrCodeProtocol, "")
	default:
		s.recvWin -= size
		s.recvCredit += size - len(data) // padding goes back with the next grant
		if s.remain >= 0 {
			s.remain -= int64(len(data))
		}
		if s.r > 0 && len(s.buf)+len(data) > cap(s.buf) {
			// The bytes read go before the buffer grows: it holds what
			// is unread, bounded by the stream's window.
			s.buf = s.buf[:copy(s.buf, s.buf[s.r:])]
			s.r = 0
		}
		s.buf = append(s.buf, data...)
		if f.StreamEnded() {
			s.endRecv = true
			c.cond.Broadcast() // a body still being sent stops
		}
		s.notify()
	}
	c.mu.Unlock()
	if grant > 0 {
		c.writeControl(func() error { return c.fr.WriteWindowUpdate(0, uint32(grant)) })
	}
	return err
}

// resetStream resets a stream the backend broke the protocol on: it fails
// with a StreamError and a RST_STREAM goes to the backend.
func (c *Conn) resetStream(id uint32, code http2.ErrCode, reason string) {
	c.mu.Lock()
	s := c.streams[id]
	if s != nil {
		if reason != "" {
			s.failLocked(&StreamError{Code: code, Reason: reason})
		}
		s.reset = true
		c.cond.Broadcast()
	}
	c.mu.Unlock()
	c.writeControl(func() error { return c.fr.WriteRSTStream(id, code) })
}

func (c *Conn) onHeaders(f *http2.MetaHeadersFrame) error {
	c.mu.Lock()
	s := c.streams[f.StreamID]
	if s == nil {
		idle := f.StreamID > c.lastOpened
		c.mu.Unlock()
		if idle {
			return protoErr("HEADERS on an idle stream")
		}
		return nil // a stream closed here: its head is dropped
	}
	if s.reset || s.err != nil {
		c.mu.Unlock()
		return nil
	}
	reason := ""
	switch {
	case s.endRecv:
		reason = "HEADERS after the end of the stream"
	case f.Truncated:
		reason = "response head larger than the limit"
	case s.final:
		reason = s.onTrailers(f)
	default:
		reason = s.onHead(f)
	}
	if reason == "" {
		if f.StreamEnded() {
			s.endRecv = true
			c.cond.Broadcast()
		}
		s.notify()
	}
	c.mu.Unlock()
	if reason != "" {
		c.resetStream(s.id, http2.ErrCodeProtocol, reason)
	}
	return nil
}

// onHead takes a response head (c.mu held); it returns why the head is
// malformed, or "".
func (s *Stream) onHead(f *http2.MetaHeadersFrame) string {
	status := f.PseudoValue("status")
	code, err := strconv.Atoi(status)
	if len(status) != 3 || err != nil || code < 100 || code > 599 {
		return fmt.Sprintf("response head with :status %q", status)
	}
	for _, p := range f.PseudoFields() {
		if p.Name != ":status" {
			return "response head with " + p.Name
		}
	}
	h := &Response{Status: code, ContentLength: -1}
	regular := f.RegularFields()
	h.Fields = make([]Field, 0, len(regular))
	for _, hf := range regular {
		if connectionSpecific(hf.Name) {
			return "response head with " + hf.Name
		}
		if hf.Name == "content-length" {
			// Digits only (RFC 9110 §8.6): ParseInt would take a sign.
			n, err := strconv.ParseUint(hf.Value, 10, 63)
			if err != nil || h.ContentLength >= 0 && int64(n) != h.ContentLength {
				return "response head with an invalid content-length"
			}
			h.ContentLength = int64(n)
		}
		h.Fields = append(h.Fields, Field{Name: hf.Name, Value: hf.Value})
	}
	if code < 200 {
		if code == 101 || f.StreamEnded() {
			return "interim response 101, or one ending the stream"
		}
		if s.interims++; s.interims > maxInterim {
			return "too many interim responses"
		}
		if code == 100 {
			return "" // the body goes anyway: nothing to wait for
		}
	} else {
		s.final = true
		s.remain = h.ContentLength
		if f.StreamEnded() && h.ContentLength > 0 && (s.headReq || code == 204 || code == 304) {
			// HEAD responses and 204/304 may carry a content-length with no
			// body; another one ended here is cut short (Read says so).
			s.remain = 0
		}
	}
	s.heads = append(s.heads, h)
	return ""
}

// onTrailers takes the trailers (c.mu held); they must end the stream and
// carry no pseudo-field.
func (s *Stream) onTrailers(f *http2.MetaHeadersFrame) string {
	if !f.StreamEnded() {
		return "a second head that does not end the stream"
	}
	if len(f.PseudoFields()) > 0 {
		return "trailers with a pseudo-field"
	}
	for _, hf := range f.RegularFields() {
		s.trailers = append(s.trailers, Field{Name: hf.Name, Value: hf.Value})
	}
	return ""
}

func (c *Conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	c.gotSettings = true
	var err error
	c.lockWrite()
	c.mu.Lock()
	f.ForeachSetting(func(st http2.Setting) error {
		if err = st.Valid(); err != nil {
			return err
		}
		switch st.ID {
		case http2.SettingEnablePush:
			if st.Val != 0 { // a server may not send 1 (RFC 9113 §6.5.2)
				err = protoErr("SETTINGS_ENABLE_PUSH 1 from a server")
				return err
			}
		case http2.SettingMaxConcurrentStreams:
			c.maxStreams = st.Val
		case http2.SettingInitialWindowSize:
			d := int64(st.Val) - int64(c.peerWin)
			for _, s := range c.streams {
				if s.sendWin+d > maxStreamID { // RFC 9113 §6.9.2
					err = fmt.Errorf("%w: SETTINGS_INITIAL_WINDOW_SIZE takes a stream's window above 2^31-1",
						http2.ConnectionError(http2.ErrCodeFlowControl))
					return err
				}
			}
			for _, s := range c.streams {
				s.sendWin += d
			}
			c.peerWin = int32(st.Val)
			c.cond.Broadcast()
		case http2.SettingMaxFrameSize:
			c.maxFrame = st.Val
			// SETTINGS_HEADER_TABLE_SIZE: requests use no dynamic table
			// (encode.go), whatever its size.
		}
		return nil
	})
	c.mu.Unlock()
	if err == nil {
		err = c.fr.WriteSettingsAck()
		if err == nil {
			err = c.flushLocked()
		}
		c.wmu.Unlock()
		c.settingsOnce.Do(func() { close(c.settings) })
		return err
	}
	c.wmu.Unlock()
	return err // a ConnectionError from Valid
}

// onGoAway fails the streams above the GOAWAY's last one (not
// processed); the connection closes once the others end.
func (c *Conn) onGoAway(f *http2.GoAwayFrame) {
	c.mu.Lock()
	c.goAway = true
	for id, s := range c.streams {
		if id > f.LastStreamID {
			s.failLocked(fmt.Errorf("%w: GOAWAY (%v) with last stream %d", ErrUnprocessed, f.ErrCode, f.LastStreamID))
			s.reset = true
		}
	}
	c.cond.Broadcast()
	shut := c.endedLocked()
	c.mu.Unlock()
	if shut {
		c.shut()
	}
}

func (c *Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	inc := int64(f.Increment)
	c.mu.Lock()
	if f.StreamID == 0 {
		defer c.mu.Unlock()
		if c.sendWin+inc > maxStreamID {
			return fmt.Errorf("%w: connection window above 2^31-1", http2.ConnectionError(http2.ErrCodeFlowControl))
		}
		c.sendWin += inc
		c.cond.Broadcast()
		return nil
	}
	s := c.streams[f.StreamID]
	switch {
	case s == nil:
		idle := f.StreamID > c.lastOpened
		c.mu.Unlock()
		if idle {
			return protoErr("WINDOW_UPDATE on an idle stream")
		}
	case s.sendWin+inc > maxStreamID:
		c.mu.Unlock()
		c.resetStream(s.id, http2.ErrCodeFlowControl, "stream window above 2^31-1")
	default:
		s.sendWin += inc
		c.cond.Broadcast()
		c.mu.Unlock()
	}
	return nil
}
