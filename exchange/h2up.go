package exchange

import (
	"context"
	"errors"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/order"
)

// forwardH2 serves the request through a backend of a cluster whose
// backend_protocol is h2 or auto: it goes out as a stream of a pooled
// HTTP/2 connection (backend.OpenH2: an internal/h2client Conn, over TLS
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
	out := &x.h2req
	*out = h2client.Request{Method: req.Method, Authority: host, Path: target,
		Fields: x.h2Fields(out.Fields[:0]), ContentLength: -1}
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
		out.Scheme = schemeHTTP
		if b.H2Scheme() == "https" {
			out.Scheme = schemeHTTPS
		}
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
// says it did not process (h2client.ErrUnprocessed) whose body, if any,
// is whole in hand.
func (x *Exchange) streamH2(b *backend.Backend, up backend.Upstream, out *h2client.Request, mayResend bool) (res Result, again bool) {
	req := &x.Req
	b.Acquire()
	defer b.Release()
	x.m.backend = b
	var body *h2Body
	out.Body, out.ContentLength = nil, -1
	switch {
	case req.HasBody() && x.h2body != nil:
		// Sent again after a stream the backend did not process: the
		// body was whole in hand (see the ErrUnprocessed case below), and
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
			up.CC.Unreserve()
			return x.badBody(err), false
		}
		x.bodyDone = done
		if !done && len(p) == 0 && req.Expects100() {
			// The body goes right after the head (Expect is not
			// forwarded): a client that waits for a 100 before its body
			// is told to send it now, as an HTTP/2 front tells its
			// clients when their body is first waited for.
			x.began = true
			if err := x.front.WriteInterim(&continue100); err != nil {
				up.CC.Unreserve()
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
	x.m.sentAt()
	s, err := up.CC.Open(x.front.Context(), out)
	var resp *h2client.Response
	if err == nil {
		// The response head is awaited for back_timeout at most; a 103
		// on the way is relayed.
		for {
			resp, err = s.Head(x.Set.BackTimeout)
			if err != nil || resp.Status >= 200 {
				break
			}
			if err = x.h2Interim(resp); err != nil {
				break
			}
		}
	}
	if err != nil {
		if s != nil {
			s.Close()
		}
		if body != nil {
			x.bodyDone = body.finish()
			if berr := body.clientErr(); berr != nil {
				return x.badBody(berr), false // the stream failed for the client's body
			}
		}
		switch {
		case x.front.Context().Err() != nil || errors.Is(err, errInterim):
			x.m.clientErr(clientReset)
			return Broken, false
		case errors.Is(err, context.DeadlineExceeded):
			return x.fail(504, "awaiting HTTP/2 response", err), false
		case x.replayable && body == nil:
			x.Env.Log.Info("HTTP/2 stream to backend failed before its response; sent again", "request_id", string(x.ID[:]),
				"backend", b.Config.ID, "error", err)
			return 0, true
		case mayResend && errors.Is(err, h2client.ErrUnprocessed) && (body == nil || body.done && x.dec.Cluster.Settings().Speaks() == order.H2):
			// (An auto cluster's next backend may pick HTTP/1.1, whose
			// path reads the body from the front: not sent again there.)
			x.Env.Log.Info("HTTP/2 backend did not process the stream (refused, or a GOAWAY below it); sent again",
				"request_id", string(x.ID[:]), "backend", b.Config.ID, "error", err)
			return 0, true
		}
		return x.fail(502, "HTTP/2 stream", err), false
	}
	if body == nil && x.retryStatus(resp.Status) {
		// The retry policy lists the status: the answer is dropped (its
		// stream reset) and the request goes to another backend.
		s.Close()
		x.pol.tries++
		x.Env.Log.Debug("HTTP/2 backend answered a status the retry policy lists; sent again", "request_id", string(x.ID[:]),
			"backend", b.Config.ID, "status", resp.Status)
		x.backoff()
		return 0, true
	}
	x.m.firstByte(0)
	x.m.answered(resp.Status)
	res = x.streamH2Response(s, resp)
	s.Close()
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

// The :scheme of requests to HTTP/2 backends.
var schemeHTTP, schemeHTTPS = []byte("http"), []byte("https")

// continue100 is the interim response the stage sends itself.
var continue100 = Head{Status: 100, Reason: []byte("Continue")}
