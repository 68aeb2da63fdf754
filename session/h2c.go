package session

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// forwardH2C serves the request in s.req through a backend of a cluster
// with http2 set: it goes out as a stream of a pooled cleartext HTTP/2
// connection (net/http's transport), with the same forwarding fields, and
// the response comes back as HTTP/1.1, chunked when its length is unknown.
// It reports whether the client connection stays open.
func (s *Session) forwardH2C(c *backend.Cluster, cs *backend.Settings, bodyStart int) bool {
	b, _ := c.Pick(nil) // h2c: the transport dials; no trial
	if b == nil {
		return s.reject(503, nil, cs.Answers, bodyStart)
	}
	b.Acquire()
	defer b.Release()
	s.m.backend = b
	req := s.req
	out, err := http.NewRequestWithContext(backend.WithConnectTimeout(context.Background(), s.set.ConnectTimeout),
		string(req.Method), "http://"+b.Addr+string(req.AppendOrigin(nil)), nil)
	if err != nil {
		return s.reject(400, nil, cs.Answers, bodyStart)
	}
	out.Host = string(req.Host)
	for _, f := range req.Headers {
		switch f.Kind {
		case h1.HeaderHost, h1.HeaderContentLength, h1.HeaderTransferEncoding, h1.HeaderConnection,
			h1.HeaderKeepAlive, h1.HeaderProxyConnection, h1.HeaderTE, h1.HeaderUpgrade, h1.HeaderExpect,
			h1.HeaderXForwardedFor, h1.HeaderXForwardedProto, h1.HeaderXForwardedPort, h1.HeaderForwarded,
			h1.HeaderSluiceRequestID:
			continue
		case h1.HeaderOther:
			if req.ConnectionListed(f.Name) {
				continue
			}
		}
		out.Header.Add(string(f.Name), string(f.Value))
	}
	xff, fwd := string(values(req.Headers, h1.HeaderXForwardedFor)), string(values(req.Headers, h1.HeaderForwarded))
	out.Header.Set("X-Forwarded-For", xff+string(appendClientIP(nil, s.client)))
	out.Header.Set("Forwarded", fwd+"for="+string(appendForwardedNode(nil, s.client))+";proto="+s.set.Proto+";by="+s.ln.byIP)
	out.Header.Set("X-Forwarded-Proto", s.set.Proto)
	out.Header.Set("X-Forwarded-Port", s.ln.port)
	out.Header.Set("Sluice-Request-Id", string(s.id[:]))
	s.r = bodyStart
	var body *h2cBody
	if req.ContentLength > 0 || req.Chunked {
		body = &h2cBody{s: s, remaining: req.ContentLength, chunked: req.Chunked, closed: make(chan struct{})}
		out.Body, out.ContentLength = body, req.ContentLength
		if req.Chunked {
			out.ContentLength = -1
		}
	}
	if s.m.on {
		s.m.sent = time.Now()
	}
	resp, err := b.RoundTripH2C(out)
	if s.m.on && err == nil {
		s.m.first = time.Now() // the response head: as near to the first byte as the transport tells
	}
	if err != nil {
		return s.fail(502, cs, "h2c", err, body == nil || body.finish())
	}
	defer b.DoneH2C()
	defer resp.Body.Close()
	keep := s.streamH2C(resp, req.KeepAlive && !s.ln.conns.Closing())
	// The upload may still run (full duplex): the connection stays open
	// only if the body was read whole.
	return keep && (body == nil || body.finish())
}

// streamH2C writes the response of an h2c backend to the client and
// reports whether the connection may stay open.
func (s *Session) streamH2C(resp *http.Response, keep bool) bool {
	req := s.req
	chunked := resp.ContentLength < 0 && !s.head && resp.StatusCode != 204 && resp.StatusCode != 304
	if chunked && req.Minor == 0 {
		keep, chunked = false, false // an HTTP/1.0 client: the body ends at close
	}
	head := s.appendH2CHead(s.out(), resp, keep, chunked)
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
	n, werr := s.conn.Write(head)
	s.m.answered, s.m.status, s.m.out = true, resp.StatusCode, s.m.out+int64(n)
	*s.outp = head[:cap(head)]
	if werr != nil || s.head {
		return werr == nil && keep
	}
	buf := make([]byte, bufSize)
	for {
		n, err := resp.Body.Read(buf[10 : len(buf)-2])
		if n > 0 {
			p := buf[10 : 10+n]
			if chunked {
				size := strconv.AppendInt(buf[:0:8], int64(n), 16)
				start := 8 - len(size)
				copy(buf[start:], size)
				buf[8], buf[9] = '\r', '\n'
				buf[10+n], buf[11+n] = '\r', '\n'
				p = buf[start : 12+n]
			}
			_ = s.conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
			w, err := s.conn.Write(p)
			s.m.out += int64(w)
			if err != nil {
				return false
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return false // cut short: the client sees the connection close
		}
	}
	if chunked {
		if _, err := s.conn.Write([]byte("0\r\n\r\n")); err != nil {
			return false
		}
	}
	return keep
}

// appendH2CHead writes the HTTP/1.1 head of a response from an h2c backend.
func (s *Session) appendH2CHead(out []byte, resp *http.Response, keep, chunked bool) []byte {
	out = append(out, "HTTP/1.1 "...)
	out = strconv.AppendInt(out, int64(resp.StatusCode), 10)
	out = append(out, ' ')
	out = append(out, http.StatusText(resp.StatusCode)...)
	out = append(out, "\r\n"...)
	for name, vs := range resp.Header {
		switch name {
		case "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Sluice-Request-Id", "Upgrade":
			continue
		}
		for _, v := range vs {
			out = appendField(out, []byte(name), []byte(v))
		}
	}
	if resp.ContentLength >= 0 {
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, resp.ContentLength, 10)
		out = append(out, "\r\n"...)
	} else if chunked {
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	}
	if h := s.hstsLine(); h != nil && resp.Header.Get("Strict-Transport-Security") == "" {
		out = append(out, h...)
	}
	out = append(out, "Sluice-Request-Id: "...)
	out = append(out, s.id[:]...)
	if !keep {
		out = append(out, "\r\nConnection: close"...)
	}
	return append(out, "\r\n\r\n"...)
}

// values joins the values of the fields of kind k, each followed by ", ".
func values(hs []h1.Header, k h1.HeaderKind) []byte { return appendValues(nil, hs, k) }

// h2cBody is the request body read from the client for the HTTP/2
// transport, which reads it in a goroutine of its own. Until Close it owns
// the client read side and s.buf; the session waits for Close (finish).
type h2cBody struct {
	s         *Session
	remaining int64 // content-length bytes still to come
	chunked   bool
	sc        h1.ChunkedScanner
	pend      []byte // decoded bytes not yet returned
	done      bool   // the whole body has been read
	err       error

	once   sync.Once
	closed chan struct{}
	stop   atomic.Bool
	rmu    sync.Mutex // held by Read; finish takes it to know Read is over
}

func (b *h2cBody) Read(p []byte) (int, error) {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	for len(b.pend) == 0 {
		if b.stop.Load() {
			return 0, io.ErrClosedPipe
		}
		if b.done {
			return 0, io.EOF
		}
		if b.err != nil {
			return 0, b.err
		}
		b.fill()
	}
	n := copy(p, b.pend)
	b.pend = b.pend[n:]
	return n, nil
}

// fill takes the next body bytes from s.buf, reading the client when it
// holds none.
func (b *h2cBody) fill() {
	s := b.s
	if s.r == s.w {
		s.r, s.w = 0, 0
		_ = s.conn.SetReadDeadline(time.Now().Add(s.set.FrontTimeout))
		n, err := s.conn.Read(s.buf)
		s.w = n
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			b.err = err
			return
		}
	}
	src := s.buf[s.r:s.w]
	if !b.chunked {
		k := int(min(int64(len(src)), b.remaining))
		b.pend, s.r, b.remaining = src[:k], s.r+k, b.remaining-int64(k)
		b.done = b.remaining == 0
		return
	}
	n, m, fin, err := b.sc.Decode(src)
	b.pend, s.r, b.done = src[:m], s.r+n, fin
	if err != nil {
		b.err = errBadBody
	}
}

// Close is called by the transport once it stops reading the body.
func (b *h2cBody) Close() error {
	b.stop.Store(true)
	_ = b.s.conn.SetReadDeadline(time.Unix(1, 0)) // a Read in progress returns
	b.once.Do(func() { close(b.closed) })
	return nil
}

// finish waits until the transport is done with the body (stopping it
// after back_timeout) and for a Read in progress to return, then reports
// whether the body was read whole. The session owns s.buf again after it.
func (b *h2cBody) finish() bool {
	t := time.NewTimer(b.s.set.BackTimeout)
	defer t.Stop()
	select {
	case <-b.closed:
	case <-t.C:
		_ = b.Close()
	}
	b.rmu.Lock()
	defer b.rmu.Unlock()
	b.stop.Store(true)
	return b.done && len(b.pend) == 0
}
