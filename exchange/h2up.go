package exchange

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// forwardH2 serves the request through a backend of a cluster whose
// backend_protocol is h2 or auto: it goes out as a stream of a pooled
// HTTP/2 connection (backend.OpenH2: x/net/http2's ClientConn, over TLS
// with ALPN or cleartext with prior knowledge) with the fields the header
// table forwards and the same forwarding fields, and the response comes
// back as it arrives, trailers included where the front can send them. A
// backend of an auto cluster that picked http/1.1 gets the request through
// forward, as any HTTP/1.1 backend. A connect that fails tries another
// backend (up to backend.DefaultAttempts); a replayable request whose
// stream failed before a response head (a GOAWAY, a RST_STREAM, a
// connection lost) is sent once more, to another backend when there is
// one, as after a failed new HTTP/1.1 connection.
func (x *Exchange) forwardH2() Result {
	req := &x.Req
	d := &x.dec
	ctx := x.front.Context()
	host, target := x.upstream()
	out := &http.Request{Method: string(req.Method), Host: string(host), Header: make(http.Header),
		Proto: "HTTP/2.0", ProtoMajor: 2, URL: &url.URL{Scheme: "http", Host: "backend", Opaque: string(target)}}
	x.h2cFields(out.Header)
	var skip *backend.Backend
	attempts, resent := 0, false
	for {
		var b *backend.Backend
		var trial bool
		if attempts == 0 && d.Cookie != nil {
			b, trial = d.Cluster.PickSticky(d.Cookie)
		}
		if b == nil {
			b, trial = d.Cluster.PickHash(skip, x.pol.hash, x.pol.hashed)
		}
		if b == nil && skip != nil { // the one that failed is the only one left
			b, trial = d.Cluster.PickHash(nil, x.pol.hash, x.pol.hashed)
		}
		if b == nil {
			return x.answer(503, x.clusterAnswers())
		}
		attempts++
		reuse := x.replayable && !resent
		up, err := b.OpenH2(ctx, x.Set.ConnectTimeout, x.Env.IdleBackendTimeout, reuse, trial)
		x.m.connect += up.ConnectTime
		if err != nil {
			x.dialFailed(b, err)
			if attempts < backend.DefaultAttempts && ctx.Err() == nil {
				x.m.retried(b)
				skip = b
				continue
			}
			return x.answer(noBackendStatus(err), x.clusterAnswers())
		}
		if d.Sticky && d.Cookie != nil && string(d.Cookie) == b.StickyID() {
			x.stickyMatch = b
		}
		if up.Conn != nil { // auto: the backend picked http/1.1
			up.Conn.Reused = up.Reused
			x.hold(up.Conn)
			defer x.hold(nil)
			return x.forward(up.Conn)
		}
		if x.dec.Sticky && x.stickyMatch != b {
			x.setCookie = x.appendSetCookie(x.setCookie[:0], b.StickyID())
		}
		out.URL.Scheme = b.H2Scheme()
		res, again := x.streamH2(b, up, out)
		if !again {
			return res
		}
		resent, skip = true, b
		x.replayable = false
		x.m.retried(b)
	}
}

// streamH2 sends out (with the request body, if any) as a stream of
// up.CC, whose reservation it uses, and streams the response back. It
// reports again when the stream failed before a response head and the
// request may be sent once more (replayable: no body, idempotent, not
// sent again already).
func (x *Exchange) streamH2(b *backend.Backend, up backend.Upstream, out *http.Request) (res Result, again bool) {
	req := &x.Req
	b.Acquire()
	defer b.Release()
	x.m.backend = b
	var body *h2cBody
	if req.HasBody() {
		p, done, err := x.front.InitialBody()
		if err == nil && overLimit(x.Set.MaxBodyBytes, len(p)) {
			err = ErrTooLarge
		}
		if err != nil {
			giveBack(up.CC, out)
			return x.badBody(err), false
		}
		x.bodyDone = done
		body = newH2CBody(x, p, done)
		out.Body, out.ContentLength = body, req.ContentLength
		if req.Unsized {
			out.ContentLength = -1
		}
	}
	// The response head is awaited for back_timeout at most.
	ctx, cancel := context.WithCancel(x.front.Context())
	defer cancel()
	var late atomic.Bool
	t := time.AfterFunc(x.Set.BackTimeout, func() { late.Store(true); cancel() })
	x.m.sentAt()
	resp, err := up.CC.RoundTrip(out.WithContext(ctx))
	stopped := t.Stop()
	if err != nil {
		if body != nil {
			x.bodyDone = body.finish()
		}
		switch {
		case late.Load() && !stopped:
			return x.fail(504, "awaiting HTTP/2 response", err), false
		case x.front.Context().Err() != nil:
			x.m.clientErr(clientReset)
			return Broken, false
		case x.replayable && body == nil:
			x.Env.Log.Info("HTTP/2 stream to backend failed before its response; sent again", "request_id", string(x.ID[:]),
				"backend", b.Config.ID, "error", err)
			return 0, true
		}
		return x.fail(502, "HTTP/2 stream", err), false
	}
	x.m.firstByte(0)
	x.m.answered(resp.StatusCode)
	res = x.streamH2C(resp)
	resp.Body.Close()
	// The upload may have run on (full duplex): the client's connection
	// serves on only if the body was read whole.
	if body != nil {
		x.bodyDone = body.finish()
		if !x.bodyDone && res == Complete {
			res = Unread
		}
	}
	return res, false
}

// giveBack returns the stream reserved on cc for out, which will not be
// sent: a RoundTrip cancelled before it starts (or, if it starts anyway,
// whose body fails at once, which resets the stream).
func giveBack(cc *http2.ClientConn, out *http.Request) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := out.WithContext(ctx)
	r.Body, r.ContentLength = io.NopCloser(failingReader{}), -1
	if resp, err := cc.RoundTrip(r); err == nil {
		resp.Body.Close()
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// h2cFields sets the fields of the request to an h2c backend: those the
// header table forwards (not Expect, which the transport handles), the
// cookies joined, and the forwarding fields.
func (x *Exchange) h2cFields(h http.Header) {
	req := &x.Req
	for i := range req.Fields {
		f := &req.Fields[i]
		if req.forwardField(f) && f.Kind != h1.HeaderExpect && !(x.reqEdits && x.dropRequestField(f)) {
			h.Add(string(f.Name), string(f.Value))
		}
	}
	if x.reqEdits {
		x.h2cEdits(h)
	}
	var b []byte
	if b = x.appendCookies(b); len(b) > 0 {
		h.Set("Cookie", string(b[len("Cookie: "):len(b)-2]))
	}
	b = appendClientIP(appendValues(b[:0], req.Fields, h1.HeaderXForwardedFor), x.Client.Addr)
	h.Set("X-Forwarded-For", string(b))
	b = appendValues(b[:0], req.Fields, h1.HeaderForwarded)
	b = append(appendForwardedNode(append(b, "for="...), x.Client.Addr), ";proto="...)
	b = append(append(append(b, x.Set.Proto...), ";by="...), x.Ln.ByNode()...)
	h.Set("Forwarded", string(b))
	h.Set("X-Forwarded-Proto", x.Set.Proto)
	h.Set("X-Forwarded-Port", x.Ln.Port())
	h.Set(string(x.requestIDName()), string(x.ID[:]))
	x.clientCertFields(h.Set)
}

// h2cEdits adds the request fields the configuration adds (see
// appendRequestEdits) to an h2c request.
func (x *Exchange) h2cEdits(h http.Header) {
	var b []byte
	b = x.appendRequestEdits(b)
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		name, value, _ := bytes.Cut(b[:i], []byte(": "))
		h.Add(string(name), string(value))
		b = b[i+2:]
	}
}

// streamH2C writes an h2c backend's response through the front.
func (x *Exchange) streamH2C(resp *http.Response) Result {
	fs := x.fields[:0]
	for name, vs := range resp.Header {
		k := h1.ClassifyHeader([]byte(name))
		if responseFate[k] != keep || x.respEdits && x.dropResponseField([]byte(name)) {
			continue
		}
		for _, v := range vs {
			fs = append(fs, h1.Header{Name: []byte(name), Value: []byte(v), Kind: k})
		}
	}
	for name := range resp.Trailer {
		fs = append(fs, h1.Header{Name: []byte("Trailer"), Value: []byte(name), Kind: h1.HeaderTrailer})
	}
	if x.respEdits {
		fs = x.appendResponseEdits(fs)
	}
	fs = x.appendOwn(fs)
	x.fields = fs
	x.head = Head{Status: resp.StatusCode, Reason: []byte(http.StatusText(resp.StatusCode)), Fields: fs,
		ContentLength: -1, BodyPending: x.bodyPending()}
	h := &x.head
	switch {
	case x.isHead || resp.StatusCode == 204 || resp.StatusCode == 304:
		h.Framing = NoBody
		if x.isHead && resp.ContentLength >= 0 {
			h.ContentLength = resp.ContentLength
		}
	case resp.ContentLength >= 0 && len(resp.Trailer) == 0:
		// Announced trailers make the body unsized (chunked to HTTP/1.1
		// clients), so that they can follow it.
		h.Framing, h.ContentLength = Length, resp.ContentLength
	default:
		h.Framing = Unsized
	}
	if x.pol.encoding != "" && h.Framing != NoBody &&
		x.compressible(x.dec.Settings.Policy.Compression, resp.StatusCode, fs, resp.ContentLength) {
		x.compressHead(h, x.dec.Settings.Policy.Compression)
	}
	x.began = true
	if err := x.front.WriteHead(h, nil); err != nil {
		x.m.clientErr(clientReset)
		return Broken
	}
	if h.Framing == NoBody {
		return Complete
	}
	bufp := x.Env.GetBuf()
	defer x.Env.PutBuf(bufp)
	buf := *bufp
	for {
		n, err := resp.Body.Read(buf)
		x.m.recvB += int64(n)
		x.z.short = n < len(buf)
		if n > 0 && !x.write(buf[:n]) {
			return Broken
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return Broken // cut short: the client sees the connection close or the stream reset
		}
	}
	var trailers []h1.Header
	if len(resp.Trailer) > 0 {
		trailers = x.fields[:0]
		for name, vs := range resp.Trailer {
			k := h1.ClassifyHeader([]byte(name))
			if responseFate[k] != keep { // framing and hop-by-hop fields are no trailers
				continue
			}
			for _, v := range vs {
				trailers = append(trailers, h1.Header{Name: []byte(name), Value: []byte(v), Kind: k})
			}
		}
		x.fields = trailers
	}
	if x.z.on {
		if err := x.z.finish(); err != nil {
			return Broken
		}
	}
	if h.Framing == Unsized || trailers != nil {
		if err := x.front.EndBody(trailers); err != nil {
			return Broken
		}
	}
	return Complete
}

// h2cBody is the request body as the HTTP/2 transport reads it, in a
// goroutine of its own: the bytes the front held first, then the front's
// ReadBody. Until Close (or finish giving up on it) the transport owns the
// front's body side; the exchange waits for that in finish before it
// returns.
type h2cBody struct {
	x      *Exchange
	mu     sync.Mutex // held by Read; finish takes it to know Read is over
	pend   []byte
	done   bool // pend is the whole body
	read   bool // the whole body was read
	stop   bool // finish ran: no more reads
	once   sync.Once
	closed chan struct{}
}

func newH2CBody(x *Exchange, p []byte, done bool) *h2cBody {
	return &h2cBody{x: x, pend: p, done: done, closed: make(chan struct{})}
}

func (b *h2cBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.stop:
		return 0, io.ErrClosedPipe
	case len(b.pend) > 0:
		n := copy(p, b.pend)
		b.pend = b.pend[n:]
		return n, nil
	case b.done:
		b.read = true
		return 0, io.EOF
	}
	n, err := b.x.front.ReadBody(p)
	if err == io.EOF {
		b.read = true
	}
	return n, err
}

// Close is called by the transport once it stops reading the body.
func (b *h2cBody) Close() error {
	b.once.Do(func() {
		b.x.front.StopBody() // a Read in progress returns
		close(b.closed)
	})
	return nil
}

// finish waits until the transport is done with the body (stopping it
// after back_timeout) and for a Read in progress to return, then reports
// whether the body was read whole. The front owns its body side again
// after it.
func (b *h2cBody) finish() bool {
	t := time.NewTimer(b.x.Set.BackTimeout)
	defer t.Stop()
	select {
	case <-b.closed:
	case <-t.C:
		_ = b.Close()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stop = true
	return b.read
}
