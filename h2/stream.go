package h2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// stream is one request of an HTTP/2 connection, served by its handler
// goroutine: the exchange.Front of its exchange.
type stream struct {
	srv *Server
	c   *conn
	w   http.ResponseWriter
	r   *http.Request
	x   exchange.Exchange
	cur atomic.Pointer[backend.Conn] // closed when the stream goes away

	fields []h1.Header // the request's fields, converted
	small  []byte      // a small body read before the backend is contacted
	began  bool        // the response head was written
}

// ServeHTTP serves one stream: it turns the request into the pipeline's
// protocol-neutral form (refusing what HTTP/1.1's grammar would), serves
// it through the pipeline, and resets the stream when a response that
// began could not be finished.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, ok := r.Context().Value(connKey{}).(*conn)
	if !ok || !c.streams.enter() {
		return
	}
	defer c.streams.leave()
	st := &stream{srv: s, c: c, w: w, r: r}
	x := &st.x
	x.Env, x.Ln, x.Client, x.BytesByConn = s.env, s.ln, &c.cl, true
	x.Start()
	// A stream reset by the client, or its connection closing, cuts the
	// backend connection, which ends every wait of the exchange.
	stop := context.AfterFunc(r.Context(), func() {
		if bc := st.cur.Load(); bc != nil {
			bc.Close()
		}
	})
	defer stop()
	var res exchange.Result
	if err := st.request(); err != nil {
		s.env.Log.Debug("bad request", "request_id", string(x.ID[:]), "listener", s.ln.Addr,
			"client", c.cl.Addr.Addr().String(), "error", err)
		res = x.Refused(st, 400, metrics.ClientParse)
	} else {
		res = x.Serve(st)
	}
	x.Finish()
	if res == exchange.Broken {
		// Reset the stream, so the client cannot take a truncated body
		// for a whole one (nor an empty 200, which net/http sends for a
		// handler that wrote nothing). ErrAbortHandler is net/http's
		// documented way to do so; the server recovers it.
		panic(http.ErrAbortHandler)
	}
}

// request fills the exchange's Request from the stream's, applying the
// request line's grammar to the pseudo-header fields, which become the
// request line sent to an HTTP/1.1 backend: :method a token, :path in
// origin-form (or "*" for OPTIONS), :authority a valid host, and a host
// field, if any, naming the same authority (RFC 9113 §8.3.1).
func (st *stream) request() error {
	r := st.r
	q := &st.x.Req
	q.Method, q.Host, q.Minor = []byte(r.Method), []byte(r.Host), 1
	if r.Method != http.MethodConnect { // CONNECT has no :path; the pipeline answers it
		if !h1.ValidMethod(q.Method) {
			return errBadMethod
		}
		q.Target = []byte(r.RequestURI)
		path, err := h1.OriginTarget(q.Method, q.Target)
		if err != nil {
			return err
		}
		q.Path = path
	}
	if len(q.Host) > 0 && !h1.ValidHost(q.Host) {
		return errBadAuthority
	}
	if hs, ok := r.Header["Host"]; ok && (len(hs) != 1 || !strings.EqualFold(hs[0], r.Host)) {
		return errHostMismatch
	}
	fs := st.fields[:0]
	for name, vs := range r.Header {
		k := h1.ClassifyHeader([]byte(name))
		if k == h1.HeaderHost {
			continue // :authority's, checked above
		}
		for _, v := range vs {
			fs = append(fs, h1.Header{Name: []byte(name), Value: []byte(v), Kind: k})
		}
	}
	st.fields, q.Fields = fs, fs
	q.ContentLength = -1
	if _, ok := r.Header["Content-Length"]; ok {
		q.ContentLength = r.ContentLength
	}
	q.Unsized = r.ContentLength < 0
	return nil
}

var (
	errBadMethod    = errors.New("h2: invalid :method")
	errBadAuthority = errors.New("h2: invalid :authority")
	errHostMismatch = errors.New("h2: host field disagrees with :authority")
)

// smallBody is the largest declared request body read whole before the
// backend is contacted.
const smallBody = 8 << 10

// InitialBody reads a request body of a declared length up to smallBody
// whole, before any backend is contacted, so that a body that disagrees
// with its content-length is refused without reaching one (and the request
// goes out in one write); it waits for it at most request_timeout. Larger
// bodies stream (ReadBody).
func (st *stream) InitialBody() ([]byte, bool, error) {
	r := st.r
	if r.ContentLength <= 0 || r.ContentLength > smallBody {
		return nil, false, nil
	}
	rc := http.NewResponseController(st.w)
	_ = rc.SetReadDeadline(time.Now().Add(st.x.Set.RequestTimeout))
	defer rc.SetReadDeadline(time.Time{})
	// One byte more than declared: the whole body is exactly the
	// declared length followed by its end (io.ErrUnexpectedEOF here). The
	// server fails the read when END_STREAM comes early or DATA runs past
	// the length.
	body := make([]byte, r.ContentLength+1)
	n, err := io.ReadFull(r.Body, body)
	st.x.CountIn(n)
	if err == io.ErrUnexpectedEOF && int64(n) == r.ContentLength {
		return body[:n], true, nil
	}
	if r.Context().Err() != nil {
		return nil, false, r.Context().Err()
	}
	return nil, false, exchange.ErrBadBody
}

// ReadBody reads the stream's DATA. The server fails the read when the
// body breaks its content-length: the exchange then ends at once and the
// stream is reset.
func (st *stream) ReadBody(p []byte) (int, error) {
	n, err := st.r.Body.Read(p)
	st.x.CountIn(n)
	return n, err
}

// StopBody closes the request body: a read in progress returns.
func (st *stream) StopBody() { _ = st.r.Body.Close() }

// TakesChunked: HTTP/2 has no chunked framing; bodies come decoded.
func (st *stream) TakesChunked() bool { return false }

// Context is the stream's: done when the client resets it.
func (st *stream) Context() context.Context { return st.r.Context() }

// Holding records the exchange's backend connection, which a reset of the
// stream closes.
func (st *stream) Holding(bc *backend.Conn) { st.cur.Store(bc) }

// WriteInterim relays 103 Early Hints (net/http answers Expect:
// 100-continue itself, when the body is read).
func (st *stream) WriteInterim(h *exchange.Head) error {
	if h.Status != 103 {
		return nil
	}
	hdr := st.w.Header()
	saved := hdr.Clone()
	clear(hdr)
	setFields(hdr, h.Fields)
	st.w.WriteHeader(h.Status)
	clear(hdr)
	for k, v := range saved {
		hdr[k] = v
	}
	return nil
}

// WriteHead writes the response head and the first body bytes.
func (st *stream) WriteHead(h *exchange.Head, body []byte) error {
	hdr := st.w.Header()
	setFields(hdr, h.Fields)
	if h.ContentLength >= 0 {
		hdr["Content-Length"] = []string{strconv.FormatInt(h.ContentLength, 10)}
	}
	st.w.WriteHeader(h.Status)
	st.began = true
	if len(body) > 0 {
		return st.WriteBody(body)
	}
	return nil
}

// WriteBody writes body bytes and flushes them: a streamed body goes out
// as it comes.
func (st *stream) WriteBody(p []byte) error {
	n, err := st.w.Write(p)
	st.x.CountOut(n)
	if err != nil {
		return err
	}
	if fl, ok := st.w.(http.Flusher); ok {
		fl.Flush()
	}
	return nil
}

// EndBody sends the trailers, if any.
func (st *stream) EndBody(trailers []h1.Header) error {
	hdr := st.w.Header()
	for _, f := range trailers {
		name := http.TrailerPrefix + string(f.Name)
		hdr[name] = append(hdr[name], string(f.Value))
	}
	return nil
}

// Tunnel is never asked of an HTTP/2 stream: its requests carry no
// Upgrade (the field is connection-specific there, and refused).
func (st *stream) Tunnel(bc *backend.Conn, h *exchange.Head, early []byte) {}

// setFields copies fields into a header map under their canonical names.
func setFields(hdr http.Header, fs []h1.Header) {
	for _, f := range fs {
		name := http.CanonicalHeaderKey(string(f.Name))
		hdr[name] = append(hdr[name], string(f.Value))
	}
}
