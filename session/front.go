package session

import (
	"context"
	"strconv"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// A Session is the exchange.Front of its requests: it writes what the
// pipeline hands it as HTTP/1.1. (Its body side is in body.go.)

// TakesChunked: HTTP/1.1 clients read chunked bodies as backends frame them.
func (s *Session) TakesChunked() bool { return true }

// Context is never done: an HTTP/1.1 client going away shows as errors on
// its connection.
func (s *Session) Context() context.Context { return context.Background() }

// Holding records the exchange's backend connection for a hard stop. A
// connection held after Abort (the exchange replaying a request whose
// pooled connection Abort closed) is closed at once: Abort stores aborted
// before it loads backendConn, and Holding stores backendConn before it
// loads aborted, so one of them sees the other's store.
func (s *Session) Holding(bc *backend.Conn) {
	s.backendConn.Store(bc)
	if bc != nil && s.aborted.Load() {
		bc.Close()
	}
}

// WriteInterim relays an interim response; HTTP/1.0 clients get none (RFC
// 9110 §15.2).
func (s *Session) WriteInterim(h *exchange.Head) error {
	if s.hs.req.Minor == 0 {
		return nil
	}
	out := appendStatusLine(s.outBuf(), h)
	out = appendFields(out, h.Fields)
	out = append(out, "\r\n"...)
	return s.sendOut(out, nil)
}

// WriteHead writes the response head and the first body bytes, deciding
// the connection's fate: it stays open only when the client asked for it,
// the listener is not draining, the request body was read whole and the
// response's end does not come with the connection's.
func (s *Session) WriteHead(h *exchange.Head, body []byte) error {
	req := &s.hs.req
	chunk := h.Framing == exchange.Unsized && req.Minor == 1
	keep := req.KeepAlive && !h.BodyPending && !s.ln.Closing() && h.Framing != exchange.UntilClose &&
		(h.Framing != exchange.Unsized || chunk)
	s.keep = keep
	out := appendStatusLine(s.outBuf(), h)
	out = appendFields(out, h.Fields)
	switch {
	case h.ContentLength >= 0:
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, h.ContentLength, 10)
		out = append(out, "\r\n"...)
	case h.Framing == exchange.Chunked || chunk:
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case !keep:
		out = append(out, "Connection: close\r\n"...)
	case req.Minor == 0:
		out = append(out, "Connection: keep-alive\r\n"...)
	}
	out = append(out, "\r\n"...)
	if chunk {
		s.hs.body.chunkOut = true
		out = h1.AppendChunk(out, body)
		body = nil
	} else {
		s.hs.body.chunkOut = false
	}
	if len(body) <= 4096 {
		return s.sendOut(append(out, body...), nil)
	}
	return s.sendOut(out, body)
}

// WriteBody writes more of the body, in chunks when WriteHead chose to.
func (s *Session) WriteBody(p []byte) error {
	if s.hs.body.chunkOut {
		return s.sendOut(h1.AppendChunk(s.outBuf(), p), nil)
	}
	return s.send(p, nil)
}

// EndBody ends a body the session chunks itself, with the trailers (of
// an HTTP/2 backend) in its last chunk; a close-delimited body (an
// HTTP/1.0 client) has no place for them.
func (s *Session) EndBody(trailers []h1.Header) error {
	if !s.hs.body.chunkOut {
		return nil
	}
	if len(trailers) == 0 {
		return s.sendOut(append(s.outBuf(), h1.LastChunk...), nil)
	}
	out := append(s.outBuf(), "0\r\n"...)
	for i := range trailers {
		out = append(append(append(append(out, trailers[i].Name...), ": "...), trailers[i].Value...), "\r\n"...)
	}
	return s.sendOut(append(out, "\r\n"...), nil)
}

// send writes a, then b, to the client within front_timeout: in one
// system call where the connection allows (a head and the body bytes that
// came with it leave in the same TCP segments).
func (s *Session) send(a, b []byte) error {
	_ = s.cl.Conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
	n, err := s.sock.WriteTwo(a, b)
	s.hs.x.CountOut(n)
	return err
}

// sendOut writes out, built on outBuf, then b; the buffer keeps what out
// grew into.
func (s *Session) sendOut(out, b []byte) error {
	s.hs.out = out[:0]
	return s.send(out, b)
}

// outBuf is the session's buffer for heads and chunk framing.
func (s *Session) outBuf() []byte { return s.hs.out[:0] }

func appendStatusLine(out []byte, h *exchange.Head) []byte {
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(h.Status), 10)
	out = append(out, ' ')
	out = append(out, h.Reason...)
	return append(out, "\r\n"...)
}

func appendFields(out []byte, fs []h1.Header) []byte {
	for i := range fs {
		out = append(out, fs[i].Name...)
		out = append(out, ": "...)
		out = append(out, fs[i].Value...)
		out = append(out, "\r\n"...)
	}
	return out
}
