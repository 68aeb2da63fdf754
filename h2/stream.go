package h2

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/session"
)

// stream is one request of an HTTP/2 connection, served by its handler
// goroutine.
type stream struct {
	srv  *Server
	c    *conn
	w    http.ResponseWriter
	r    *http.Request
	set  *session.Settings
	id   [session.IDLen]byte
	hsts []byte
	head bool // a HEAD request
	bufp *[]byte
	// The accounting of the stream (see account.go).
	out      *countingWriter
	start    time.Time
	sent     time.Time // the request started going to the backend
	first    time.Time // the backend's response head came
	cluster  *backend.Cluster
	backend  *backend.Backend
	connTime time.Duration
	// sticky is set when the cluster has sticky sessions; setCookie is the
	// sticky id the response pins the client to ("" when its cookie named
	// the backend that served it).
	sticky    bool
	setCookie string
	// body is the whole request body when it was read before the backend
	// was contacted (see readSmallBody); it goes out with the head.
	body []byte
}

// ServeHTTP serves one stream: it checks the Host against the
// connection's certificate, routes, and forwards to a backend or answers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, ok := r.Context().Value(connKey{}).(*conn)
	if !ok || !c.streams.enter() {
		return
	}
	defer c.streams.leave()
	cw := &countingWriter{ResponseWriter: w}
	st := &stream{srv: s, c: c, w: cw, out: cw, r: r, set: s.ln.Settings(), head: r.Method == http.MethodHead,
		start: time.Now()}
	defer st.account()
	s.env.NewID(&st.id)
	s.env.Requests.Add(1)
	st.hsts = st.set.HSTS
	st.bufp = s.bufs.Get().(*[]byte)
	defer s.bufs.Put(st.bufp)
	st.serve()
}

func (st *stream) serve() {
	r := st.r
	if n := fieldCount(r.Header); n > st.srv.lim.MaxHeaderFields {
		st.answer(431, nil, nil)
		return
	}
	if r.Method == http.MethodConnect {
		st.answer(501, nil, nil)
		return
	}
	path, err := checkHead(r)
	if err != nil {
		st.srv.env.Log.Debug("bad request", "request_id", string(st.id[:]), "listener", st.srv.ln.Addr,
			"client", st.c.clientIP, "error", err)
		st.answer(400, nil, nil)
		return
	}
	if st.c.served != nil && !st.c.served.Covers(r.Host) {
		st.answer(421, nil, nil)
		return
	}
	rt, ok := st.srv.ln.Routes().Lookup([]byte(r.Host), path, []byte(r.Method))
	if !ok {
		st.answer(404, nil, nil)
		return
	}
	if rt.Deny {
		st.answer(403, nil, nil)
		return
	}
	st.cluster = rt.Cluster
	cs := rt.Cluster.Settings()
	st.sticky = cs.StickySession
	if cs.HSTS != nil {
		st.hsts = cs.HSTS
	}
	if max := st.set.MaxBodyBytes; max > 0 && r.ContentLength > max {
		st.answer(413, nil, cs.Answers)
		return
	}
	if cs.HTTP2 {
		st.forwardH2C(rt.Cluster, cs)
		return
	}
	if !st.readSmallBody() {
		return
	}
	replayable := replayable(r)
	bc := st.connect(rt.Cluster, cs, replayable)
	if bc == nil {
		st.answer(503, nil, cs.Answers)
		return
	}
	b := bc.Backend
	st.backend, st.connTime = b, bc.ConnectTime
	if st.sticky && string(st.stickyCookie()) != b.StickyID() {
		st.setCookie = b.StickyID()
	}
	b.Acquire()
	defer b.Release()
	st.forward(bc, cs, replayable)
}

// connect picks a backend and returns a connection to it, as the
// HTTP/1.1 session does (see backend.Cluster.Connect): pooled when the
// request can be replayed, the one its sticky cookie names first, another
// when a connect fails; a send_proxy cluster's connections start with a
// PROXY header naming the client and are never pooled. It returns nil when
// none could be reached.
func (st *stream) connect(c *backend.Cluster, cs *backend.Settings, replayable bool) *backend.Conn {
	d := backend.Dial{
		Reuse:       replayable && !cs.SendProxy,
		Timeout:     st.set.ConnectTimeout,
		IdleTimeout: st.srv.env.IdleBackendTimeout,
		Failed: func(b *backend.Backend, err error) {
			st.srv.env.Log.Warn("backend connect failed", "request_id", string(st.id[:]), "cluster", c.ID,
				"backend", b.Config.ID, "address", b.Addr, "error", err)
		},
		Retried: func(b *backend.Backend) {
			if b.M != nil {
				b.M.Retries.Inc()
			}
			if c.M != nil {
				c.M.Retries.Inc()
			}
		},
	}
	if cs.StickySession {
		d.Sticky = st.stickyCookie()
	}
	if cs.SendProxy {
		d.Prepare = st.sendProxyHeader
	}
	return c.Connect(st.r.Context(), &d)
}

// sendProxyHeader writes a PROXY protocol v2 header naming the client (the
// address of its own PROXY header when it came with one) to a new backend
// connection.
func (st *stream) sendProxyHeader(bc *backend.Conn) error {
	h := proxyproto.ConnHeader(st.c)
	h.Source = st.c.client
	return bc.SendProxyHeader(&h, st.set.BackTimeout)
}

// answer sends a default (or replaced) answer: it is rendered as HTTP/1.1
// by package answer, then its status, fields and body are sent as HTTP/2.
func (st *stream) answer(status int, extra []byte, cluster *answer.Set) {
	if st.hsts != nil {
		extra = append(append([]byte(nil), extra...), st.hsts...)
	}
	out := answer.Append((*st.bufp)[:0], status, st.id[:], extra, false, false, cluster, st.set.Answers)
	var resp h1.Response
	if _, err := h1.ParseResponse(out, &resp, h1.Limits{MaxHeadBytes: len(out), MaxHeaderFields: 100}); err != nil {
		st.srv.env.Log.Error("unparsable answer", "status", status, "error", err)
		st.w.WriteHeader(status)
		return
	}
	h := st.w.Header()
	for _, f := range resp.Headers {
		switch f.Kind {
		case h1.HeaderConnection, h1.HeaderKeepAlive, h1.HeaderTransferEncoding:
			continue
		}
		h[string(f.Name)] = append(h[string(f.Name)], string(f.Value))
	}
	st.w.WriteHeader(resp.Status)
	if !st.head {
		_, _ = st.w.Write(out[resp.HeadLen:])
	}
}

// checkHead applies the request-line grammar of HTTP/1.1 to the stream's
// pseudo-header fields, since they become the request line sent to the
// backend: :method a token, :path in origin-form (or "*" for OPTIONS),
// :authority a valid host, and a host field, if any, naming the same
// authority (RFC 9113 §8.3.1). It returns the path to route by.
func checkHead(r *http.Request) ([]byte, error) {
	if !h1.ValidMethod([]byte(r.Method)) {
		return nil, errBadMethod
	}
	path, err := h1.OriginTarget([]byte(r.Method), []byte(r.RequestURI))
	if err != nil {
		return nil, err
	}
	if r.Host != "" && !h1.ValidHost([]byte(r.Host)) {
		return nil, errBadAuthority
	}
	if hs, ok := r.Header["Host"]; ok && (len(hs) != 1 || !strings.EqualFold(hs[0], r.Host)) {
		return nil, errHostMismatch
	}
	return path, nil
}

var (
	errBadMethod    = errors.New("h2: invalid :method")
	errBadAuthority = errors.New("h2: invalid :authority")
	errHostMismatch = errors.New("h2: host field disagrees with :authority")
)

// fieldCount is the number of request header fields.
func fieldCount(h http.Header) int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	return n
}

// replayable reports whether a request may be sent again after a failure
// on a reused backend connection: a safe method and no body.
func replayable(r *http.Request) bool {
	if r.ContentLength != 0 {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
