package h2

import "encoding/binary"

// Header blocks: HEADERS and its CONTINUATION frames collected within the
// block budget, decoded once whole (hpack.go), and the stream they open
// (or the trailers they end) acted on. The fields' rules are in fields.go.

// headerBlock is the header block being received (HEADERS and its
// CONTINUATION frames) and what its fields broke so far.
type headerBlock struct {
	active    bool // CONTINUATION frames are expected
	id        uint32
	endStream bool
	st        *stream // the new stream collecting the fields; nil: decoded and dropped
	trailers  bool    // the block ends the request of an open stream
	refuse    uint32  // when not 0, the stream is reset with this code at the end
	bytes     int     // compressed bytes so far
	size      int     // decoded header list size (RFC 9113 §6.5.2)
	tooBig    bool    // size passed the limit
	malformed bool    // a field breaks RFC 9113 §8.2 or §8.3: PROTOCOL_ERROR
	connSpec  bool    // a connection-specific field
	regular   bool    // a regular field came
	pseudo    uint8   // pseudo-header fields seen
}

// Pseudo-header fields (headerBlock.pseudo bits).
const (
	pseudoMethod uint8 = 1 << iota
	pseudoScheme
	pseudoPath
	pseudoAuthority
	pseudoProtocol // RFC 8441's, extended CONNECT only
)

// onHeaders starts a header block: a new stream's request, or an open
// stream's trailers.
func (c *conn) onHeaders(flags byte, id uint32, p []byte) error {
	if id == 0 {
		return protoErr("HEADERS on stream 0")
	}
	if id&1 == 0 {
		return protoErr("HEADERS on an even stream")
	}
	frameLen := len(p) // the budget counts padding and priority too
	if flags&flagPadded != 0 {
		if len(p) == 0 {
			return protoErr("HEADERS padding missing")
		}
		pad := int(p[0])
		p = p[1:]
		if pad > len(p) {
			return protoErr("HEADERS padding too long")
		}
		p = p[:len(p)-pad]
	}
	var selfDep bool
	if flags&flagPriority != 0 {
		if len(p) < 5 {
			return frameSizeErr("HEADERS priority missing")
		}
		selfDep = binary.BigEndian.Uint32(p)&0x7fffffff == id
		p = p[5:]
	}
	h := &c.hd
	*h = headerBlock{active: true, id: id, endStream: flags&flagEndStream != 0, bytes: frameLen - len(p)}
	c.fl.cont = 0
	c.block = c.block[:0]
	c.mu.Lock()
	if st := c.streams[id]; st != nil {
		// Trailers: they end the request; their fields are dropped.
		h.trailers = true
		switch {
		case st.remoteDone:
			h.refuse = codeStreamClosed
		case !h.endStream:
			h.refuse = codeProtocol
		}
		c.mu.Unlock()
	} else if id <= c.lastID {
		c.mu.Unlock()
		return protoErr("HEADERS on a closed stream")
	} else {
		c.lastID = id
		switch {
		case c.goAway && id > c.goAwayN, len(c.streams) >= c.lim.MaxStreams, c.running >= 2*c.lim.MaxStreams:
			h.refuse = codeRefusedStream
		case selfDep:
			h.refuse = codeProtocol
		default:
			h.st = c.s.acquire(c, id)
			if c.late {
				c.goAwayLocked() // its first stream is served, then it ends
			}
		}
		c.mu.Unlock()
	}
	return c.fragment(flags, p)
}

// onContinuation continues the header block.
func (c *conn) onContinuation(flags byte, id uint32, p []byte) error {
	if !c.hd.active {
		return protoErr("CONTINUATION without HEADERS")
	}
	c.fl.cont++
	if c.fl.cont > c.lim.Continuations {
		return ErrFlood
	}
	return c.fragment(flags, p)
}

// fragment decodes a header block fragment, and the block once it ends.
func (c *conn) fragment(flags byte, p []byte) error {
	h := &c.hd
	h.bytes += len(p)
	if h.bytes > c.lim.MaxHeaderBlock {
		return ErrHeaderBlock
	}
	c.block = append(c.block, p...)
	if flags&flagEndHeaders == 0 {
		return nil
	}
	h.active = false
	if err := c.dec.decode(c.block); err != nil {
		return &connError{codeCompression, err.Error()}
	}
	if cap(c.block) > 8<<10 {
		c.block = nil // a large block's buffer is not kept
	}
	if h.connSpec {
		return ErrMalformed
	}
	err := c.blockDone()
	if st := c.starting; st != nil {
		c.starting = nil
		c.s.start(st)
	}
	return err
}

// blockDone acts on a whole header block.
func (c *conn) blockDone() error {
	h := &c.hd
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.trailers {
		st := c.streams[h.id]
		if st == nil {
			return nil // reset meanwhile
		}
		if h.refuse == 0 && h.malformed {
			h.refuse = codeProtocol
		}
		if h.refuse != 0 {
			c.resetLocked(st, h.refuse)
			return nil
		}
		st.remoteDone = true
		if st.cl >= 0 && st.recvd != st.cl {
			st.badBody = true
		}
		if st.localDone {
			c.removeLocked(st)
		}
		st.wakeUp()
		return nil
	}
	st := h.st
	h.st = nil
	if st != nil && h.refuse == 0 && !h.malformed && !h.tooBig {
		if !h.checkPseudo(st) {
			h.malformed = true
		}
	}
	if st == nil || h.refuse != 0 || h.malformed {
		code := h.refuse
		if code == 0 {
			code = codeProtocol
		}
		if st != nil {
			c.s.release(st)
		}
		if !c.dead {
			c.out = appendRSTStream(c.out, h.id, code)
			c.kickLocked()
		}
		return nil
	}
	st.tooBig = h.tooBig
	st.remoteDone = h.endStream
	st.endOnHeaders = h.endStream
	st.inMap = true
	c.streams[h.id] = st
	c.running++
	c.unbegun++
	c.wg.Add(1)
	c.starting = st // started once mu is released
	return nil
}
