package session

import (
	"context"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// forward sends the request to bc and streams the response back. It owns bc:
// the connection is pooled again or closed before forward returns.
func (s *Session) forward(c *backend.Cluster, bc *backend.Conn, cs *backend.Settings, replayable bool, bodyStart int) (keep bool) {
	req := s.req
	set := s.set
	var upgrade []byte
	if req.Upgrade {
		if v := upgradeValue(req.Headers); v != nil && !isH2C(v) {
			upgrade = v
		}
	}

	// The body bytes that arrived with the head go out with it; a chunked
	// body's first bytes are checked before anything is sent.
	var (
		body      []byte
		remaining int64
		bodyDone  = true
		chunks    h1.ChunkedScanner
	)
	switch req.Framing() {
	case h1.FramingLength:
		n := min(req.ContentLength, int64(s.w-bodyStart))
		body = s.buf[bodyStart : bodyStart+int(n)]
		remaining = req.ContentLength - n
		bodyDone = remaining == 0
	case h1.FramingChunked:
		n, fin, err := chunks.Scan(s.buf[bodyStart:s.w])
		if err != nil {
			bc.Close()
			return s.reject(400, nil, cs.Answers, bodyStart)
		}
		body = s.buf[bodyStart : bodyStart+n]
		bodyDone = fin
		if max := set.MaxBodyBytes; max > 0 && int64(n) > max {
			bc.Close()
			return s.reject(413, nil, cs.Answers, bodyStart)
		}
	}
	s.r = bodyStart + len(body)

	out := s.appendRequestHead(s.out(), upgrade)
	out = append(out, body...)
	*s.outp = out[:cap(out)]
	retried := false
	if s.m.on {
		s.m.sent = time.Now()
	}
	// A request sent whole is written with the first read of its answer
	// (backend.Conn.WriteRead): one wait, and no read before the answer can
	// have come.
	s.rx = responseExchange{s: s, c: c, cs: cs}
	x := &s.rx
	x.bufp = s.env.getBuf()
	x.buf = *x.bufp
	for {
		var err error
		_ = bc.SetDeadline(time.Now().Add(set.BackTimeout))
		if bodyDone {
			var writing bool
			x.preN, writing, err = bc.WriteRead(out, x.buf)
			if !writing {
				x.pre, x.preErr, err = true, err, nil
			}
		} else {
			_, err = bc.Write(out)
		}
		if err == nil {
			s.m.sentB += int64(len(out))
			s.m.in += int64(len(body))
			break
		}
		bc.Close()
		if !bc.Reused || !replayable || retried {
			x.release()
			return s.fail(502, cs, "writing request", err, bodyDone)
		}
		retried = true
		if bc = s.redial(c, bc.Backend); bc == nil {
			x.release()
			return s.fail(503, cs, "reconnecting", err, bodyDone)
		}
	}

	var up *upload
	if !bodyDone {
		up = s.startUpload(bc, remaining, &chunks, len(body))
	}

	x.bc, x.up, x.replayable, x.out = bc, up, replayable && !retried, out
	keep = x.run(upgrade)
	s.rx = responseExchange{}
	return keep
}

// redial opens a fresh connection after a pooled one to b failed before
// any response byte: to b again, or, when b refuses it, to another backend
// of c. The request is replayable, so nothing is lost by sending it again.
func (s *Session) redial(c *backend.Cluster, b *backend.Backend) *backend.Conn {
	s.m.retried(b)
	bc, err := b.Dial(context.Background(), s.set.ConnectTimeout)
	if bc != nil {
		s.m.connect += bc.ConnectTime
	}
	if err != nil {
		s.env.Log.Warn("backend connect failed", "request_id", string(s.id[:]), "cluster", c.ID,
			"backend", b.Config.ID, "address", b.Addr, "error", err)
		if bc = s.connect(c, false, nil, b); bc == nil {
			return nil
		}
	}
	s.hold(bc)
	return bc
}

// fail answers status when the exchange broke before a response began. The
// client connection stays open only when its request was read whole.
func (s *Session) fail(status int, cs *backend.Settings, step string, err error, bodyRead bool) bool {
	s.env.Log.Warn("backend exchange failed", "request_id", string(s.id[:]), "step", step, "error", err)
	switch {
	case status == 504:
		s.m.backendErr(metrics.BackendTimeout)
	case step == "parsing response":
		s.m.backendErr(metrics.BackendParse)
	case status == 502:
		s.m.backendErr(metrics.BackendReset)
	}
	keep := s.req.KeepAlive && bodyRead && !s.ln.conns.Closing()
	s.answer(status, nil, !keep, cs.Answers)
	return keep
}
