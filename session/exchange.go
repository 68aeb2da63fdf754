package session

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// maxResponseHead bounds a backend's response head.
var responseLimits = h1.Limits{MaxHeadBytes: bufSize, MaxHeaderFields: 200}

// exchange serves the request in s.req: it routes it, forwards it and
// streams the response. It reports whether the client connection stays open
// for another request.
func (s *Session) exchange() bool {
	req := s.req
	s.newID()
	s.begin()
	s.env.Requests.Add(1)
	if s.env.testHook != nil {
		s.env.testHook(s)
	}
	bodyStart := s.r + req.HeadLen
	s.hstsFrom = nil
	if s.tlsCert != nil && len(req.Host) > 0 && !s.tlsCert.CoversBytes(req.Host) {
		return s.reject(421, nil, nil, bodyStart)
	}

	rt, ok := s.ln.Routes().Lookup(req.Host, req.Path, req.Method)
	if !ok {
		return s.reject(404, nil, nil, bodyStart)
	}
	if rt.Deny {
		return s.reject(403, nil, nil, bodyStart)
	}
	cluster := rt.Cluster
	s.m.cluster = cluster
	cs := cluster.Settings()
	s.hstsFrom = cs
	if cs.HTTPSRedirect && s.set.Proto == "http" {
		return s.reject(301, s.redirectLocation(), cs.Answers, bodyStart)
	}

	if max := s.set.MaxBodyBytes; max > 0 && req.ContentLength > max {
		return s.reject(413, nil, cs.Answers, bodyStart)
	}
	if cs.HTTP2 {
		return s.forwardH2C(cluster, cs, bodyStart)
	}
	replayable := isReplayable(req)
	s.sticky = cs.StickySession
	s.stickyMatch = nil
	var cookie []byte
	if s.sticky {
		cookie = cookieValue(req.Headers, s.set.CookieName())
	}
	bc := s.connect(cluster, replayable, cookie, nil)
	if bc == nil {
		return s.reject(503, nil, cs.Answers, bodyStart)
	}
	if cookie != nil && string(cookie) == bc.Backend.StickyID() {
		s.stickyMatch = bc.Backend
	}
	s.hold(bc)
	defer s.hold(nil)
	return s.forward(cluster, bc, cs, replayable, bodyStart)
}

// hold makes bc the exchange's backend connection: its backend counts the
// request in flight (the previous one, after a replay elsewhere, no longer
// does) and a hard stop can cut it. hold(nil) ends the exchange's hold.
func (s *Session) hold(bc *backend.Conn) {
	var b *backend.Backend
	if bc != nil {
		b = bc.Backend
		s.m.backend = b
	}
	if b != s.holding {
		if s.holding != nil {
			s.holding.Release()
		}
		if b != nil {
			b.Acquire()
		}
		s.holding = b
	}
	s.backendConn.Store(bc)
}

// connect picks a backend and returns a connection to it (see
// backend.Cluster.Connect): pooled when the request can be replayed, the
// one its sticky cookie names first, another when a connect fails; avoid is
// a backend not to pick first (one a replay just failed on). New
// connections of a send_proxy cluster start with a PROXY header naming the
// client, and are never pooled. It returns nil when no backend could be
// reached.
func (s *Session) connect(c *backend.Cluster, replayable bool, cookie []byte, avoid *backend.Backend) *backend.Conn {
	sendProxy := c.Settings().SendProxy
	d := &s.dial
	d.Reuse, d.Sticky, d.Avoid = replayable && !sendProxy, cookie, avoid
	d.Timeout, d.IdleTimeout = s.set.ConnectTimeout, s.env.IdleBackendTimeout
	d.Prepare = nil
	if sendProxy {
		d.Prepare = s.sendProxyHeader
	}
	s.dialCluster = c
	bc := c.Connect(context.Background(), d)
	if bc != nil {
		s.m.connect += bc.ConnectTime
	}
	return bc
}

// dialFailed logs a failed connect of the exchange in progress.
func (s *Session) dialFailed(b *backend.Backend, err error) {
	s.env.Log.Warn("backend connect failed", "request_id", string(s.id[:]), "cluster", s.dialCluster.ID,
		"backend", b.Config.ID, "address", b.Addr, "error", err)
}

// reject answers the request itself with status. The connection stays open
// only if the request has no body left unread.
func (s *Session) reject(status int, extra []byte, cluster *answer.Set, bodyStart int) bool {
	keep := s.req.KeepAlive && s.req.ContentLength <= 0 && !s.req.Chunked
	s.r = bodyStart
	s.answer(status, extra, !keep, cluster)
	return keep && !s.ln.conns.Closing()
}

// answer writes a default (or replaced) answer for the current request id.
func (s *Session) answer(status int, extra []byte, close bool, cs *answer.Set) {
	headOnly := s.head
	if h := s.hstsLine(); h != nil {
		extra = append(append(make([]byte, 0, len(extra)+len(h)), extra...), h...)
	}
	out := answer.Append(s.out(), status, s.id[:], extra, close, headOnly, cs, s.set.Answers)
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
	n, _ := s.sock.Write(out)
	s.m.status = status
	s.m.out += int64(n)
	*s.outp = out[:cap(out)]
}

// hstsLine is the HSTS header to send on the current exchange: the
// cluster's, else the listener's; nil on plain connections.
func (s *Session) hstsLine() []byte {
	if s.tlsCert == nil {
		return nil
	}
	if s.hstsFrom != nil && s.hstsFrom.HSTS != nil {
		return s.hstsFrom.HSTS
	}
	return s.set.HSTS
}

// redirectLocation builds the Location field of an https redirect.
func (s *Session) redirectLocation() []byte {
	host := s.req.Host
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host = host[:i]
			break
		}
		if host[i] == ']' {
			break
		}
	}
	loc := make([]byte, 0, 32+len(host)+len(s.req.Path))
	loc = append(loc, "Location: https://"...)
	loc = append(loc, host...)
	if string(s.req.Target) == "*" {
		loc = append(loc, '/')
	} else {
		loc = s.req.AppendOrigin(loc)
	}
	return append(loc, "\r\n"...)
}

// errBadBody marks an upload aborted for a malformed chunked body;
// errTooLarge one cut off at the listener's max_body_bytes.
var (
	errBadBody  = errors.New("session: malformed request body")
	errTooLarge = errors.New("session: request body over the limit")
)

func isEOF(err error) bool { return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) }
