package exchange

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
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
// one, as after a failed new HTTP/1.1 connection; so is any request, its
// body included when it was whole in hand, whose stream the backend
// refused or left out of its GOAWAY (RFC 9113 §8.7: not processed).
func (x *Exchange) forwardH2() Result {
	req := &x.Req
	d := &x.dec
	ctx := x.front.Context()
	host, target := x.upstream()
	out := &http.Request{Method: string(req.Method), Host: string(host), Header: make(http.Header),
		Proto: "HTTP/2.0", ProtoMajor: 2, URL: &url.URL{Scheme: "http", Host: "backend", Opaque: string(target)}}
	x.h2Fields(out.Header)
	// Under a retry policy, a request without a body (its body would be
	// gone, streamed) may be sent again after a status of on_status.
	x.pol.resend = !req.HasBody() && idempotent(req.Method)
	var skip *backend.Backend
	var dialErr error // the last failed connect's
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
			return x.noBackend(dialErr, x.clusterAnswers())
		}
		attempts++
		reuse := x.replayable && !resent
		up, err := b.OpenH2(ctx, x.Set.ConnectTimeout, x.Env.IdleBackendTimeout, reuse, trial)
		x.m.connect += up.ConnectTime
		if err != nil {
			dialErr = err
			x.dialFailed(b, err)
			if attempts < backend.DefaultAttempts && ctx.Err() == nil {
				x.m.retried(b)
				skip = b
				continue
			}
			return x.noBackend(err, x.clusterAnswers())
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
		res, again := x.streamH2(b, up, out, !resent)
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
// request may be sent once more: a replayable one (no body, idempotent,
// not sent again already), or, when mayResend, any request the backend
// says it did not process (h2Unprocessed) whose body, if any, is whole in
// hand.
func (x *Exchange) streamH2(b *backend.Backend, up backend.Upstream, out *http.Request, mayResend bool) (res Result, again bool) {
	req := &x.Req
	b.Acquire()
	defer b.Release()
	x.m.backend = b
	var body *h2Body
	switch {
	case req.HasBody() && x.h2body != nil:
		// Sent again after a stream the backend did not process: the
		// body was whole in hand (see the h2Unprocessed case below), and
		// goes again.
		body = newH2Body(x, x.h2body.first, true)
		x.h2body = body
		out.Body, out.ContentLength = body, int64(len(body.first))
	case req.HasBody():
		p, done, err := x.front.InitialBody()
		if err == nil && overLimit(x.Set.MaxBodyBytes, len(p)) {
			err = ErrTooLarge
		}
		if err != nil {
			giveBack(up.CC, out)
			return x.badBody(err), false
		}
		x.bodyDone = done
		if !done && len(p) == 0 && req.Expects100() {
			// The transport sends the body right after the head (Expect
			// is not forwarded): a client that waits for a 100 before
			// its body is told to send it now, as an HTTP/2 front tells
			// its clients when their body is first waited for.
			x.began = true
			if err := x.front.WriteInterim(&continue100); err != nil {
				giveBack(up.CC, out)
				x.m.clientErr(clientReset)
				return Broken, false
			}
		}
		body = newH2Body(x, p, done)
		x.h2body = body // until the next Start
		out.Body, out.ContentLength = body, req.ContentLength
		if req.Unsized {
			out.ContentLength = -1
		}
	}
	// The response head is awaited for back_timeout at most; a 103 on
	// the way is relayed.
	if x.h2trace.Got1xxResponse == nil { // bound once per Exchange
		x.h2trace.Got1xxResponse = x.h2Interim
	}
	ctx, cancel := context.WithCancel(httptrace.WithClientTrace(x.front.Context(), &x.h2trace))
	defer cancel()
	var late atomic.Bool
	t := time.AfterFunc(x.Set.BackTimeout, func() { late.Store(true); cancel() })
	x.m.sentAt()
	resp, err := up.CC.RoundTrip(out.WithContext(ctx))
	stopped := t.Stop()
	if err != nil {
		if body != nil {
			x.bodyDone = body.finish()
			if berr := body.clientErr(); berr != nil {
				return x.badBody(berr), false // the stream failed for the client's body
			}
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
		case mayResend && h2Unprocessed(err) && (body == nil || body.done && x.dec.Cluster.Settings().Speaks() == order.H2):
			// (An auto cluster's next backend may pick HTTP/1.1, whose
			// path reads the body from the front: not sent again there.)
			x.Env.Log.Info("HTTP/2 backend did not process the stream (refused, or a GOAWAY below it); sent again",
				"request_id", string(x.ID[:]), "backend", b.Config.ID, "error", err)
			return 0, true
		}
		return x.fail(502, "HTTP/2 stream", err), false
	}
	if body == nil && x.retryStatus(resp.StatusCode) {
		// The retry policy lists the status: the answer is dropped (its
		// stream reset) and the request goes to another backend.
		resp.Body.Close()
		x.pol.tries++
		x.Env.Log.Debug("HTTP/2 backend answered a status the retry policy lists; sent again", "request_id", string(x.ID[:]),
			"backend", b.Config.ID, "status", resp.StatusCode)
		x.backoff()
		return 0, true
	}
	x.m.firstByte(0)
	x.m.answered(resp.StatusCode)
	res = x.streamH2Response(resp)
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

// h2Unprocessed reports a stream error after which the backend is known
// not to have processed the request (RFC 9113 §8.7): a RST_STREAM with
// REFUSED_STREAM, or a graceful GOAWAY whose last stream id is below the
// stream's. x/net aborts the latter with an error it does not export,
// matched here by its text (TestH2UnprocessedStreamResent pins it).
func h2Unprocessed(err error) bool {
	var se http2.StreamError
	if errors.As(err, &se) {
		return se.Code == http2.ErrCodeRefusedStream
	}
	return err != nil && strings.Contains(err.Error(), "received Server's graceful shutdown GOAWAY")
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

// continue100 is the interim response the stage sends itself.
var continue100 = Head{Status: 100, Reason: []byte("Continue")}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
