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
		if r.Context().Err() != nil {
			res = exchange.Broken // the client reset the stream meanwhile
		} else {
			res = x.Refused(st, 400, metrics.ClientParse)
		}
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
	if !h1.ValidHost(q.Host) { // required, as Host is in HTTP/1.1
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
			f := h1.Header{Name: []byte(name), Value: []byte(v), Kind: k}
			// Field lines get HTTP/1.1's grammar too (RFC 9113 §8.2.1
			// makes surrounding whitespace malformed as well).
			if !h1.ValidFieldName(f.Name) || !h1.ValidFieldValue(f.Value) {
				return errBadField
			}
			fs = append(fs, f)
		}
	}
	st.fields, q.Fields = fs, fs
	q.ContentLength = -1
	if vs, ok := r.Header["Content-Length"]; ok {
		// One length, which net/http enforces against the DATA: it
		// takes a value it cannot parse, or a list, for 0, and a length
		// on a stream that ended with its HEADERS for none.
		n, valid := h1.ContentLength([]byte(vs[0]))
		if len(vs) != 1 || !valid || n != r.ContentLength {
			return errBadLength
		}
		q.ContentLength = n
	}
	q.Unsized = r.ContentLength < 0
	return st.readSmallBody()
}

// readSmallBody reads a body of a declared length up to smallBody whole,
// before the request is served, so that a body that disagrees with its
// content-length (shorter, longer, or DATA after content-length: 0) is
// refused without reaching a backend, and the request goes out in one
// write. It waits for it at most request_timeout. Larger bodies stream.
func (st *stream) readSmallBody() error {
	r := st.r
	if r.Body == http.NoBody || r.ContentLength < 0 || r.ContentLength > smallBody {
		return nil
	}
	rc := http.NewResponseController(st.w)
	_ = rc.SetReadDeadline(time.Now().Add(st.x.Set.RequestTimeout))
	defer rc.SetReadDeadline(time.Time{})
	// One byte more than declared: the whole body is exactly the
	// declared length followed by its end (io.ErrUnexpectedEOF, or
	// io.EOF for an empty body). The server fails the read when
	// END_STREAM comes early or DATA runs past the length.
	body := make([]byte, r.ContentLength+1)
	n, err := io.ReadFull(r.Body, body)
	st.x.CountIn(n)
	if (err == io.ErrUnexpectedEOF || err == io.EOF) && int64(n) == r.ContentLength {
		st.small = body[:n]
		return nil
	}
	if err == nil {
		err = errBodyLength
	}
	return err
}

var (
	errBadMethod    = errors.New("h2: invalid :method")
	errBadAuthority = errors.New("h2: invalid :authority")
	errHostMismatch = errors.New("h2: host field disagrees with :authority")
	errBadField     = errors.New("h2: invalid field name or value")
	errBadLength    = errors.New("h2: content-length not one valid length, or not the body's")
	errBodyLength   = errors.New("h2: body longer than its content-length")
)

// smallBody is the largest declared request body read whole before the
// backend is contacted.
const smallBody = 8 << 10

// InitialBody returns a small body read whole before the request was
// served (see readSmallBody); larger ones stream (ReadBody).
func (st *stream) InitialBody() ([]byte, bool, error) {
	if st.small != nil {
		return st.small, true, nil
	}
	return nil, false, nil
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
// stream (or its connection closing: a hard stop) closes. A connection
// held after that (a replay of a request whose pooled connection the reset
// cut) is closed at once: the context is done before its AfterFunc loads
// cur, and Holding stores cur before it checks the context, so one of
// them closes it.
func (st *stream) Holding(bc *backend.Conn) {
	st.cur.Store(bc)
	if bc != nil && st.r.Context().Err() != nil {
		bc.Close()
	}
}

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
