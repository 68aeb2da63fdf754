package exchange

import (
	"context"
	"errors"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
)

// forward sends the request to an HTTP/1.1 backend through bc and streams
// the response back. It owns bc: the connection is pooled again or closed
// before forward returns.
func (x *Exchange) forward(bc *backend.Conn) Result {
	req := &x.Req
	// The body bytes the front holds go out with the head; they are
	// checked (a chunked body's framing, the body limit) before anything
	// is sent.
	var initial []byte
	done := true
	if req.HasBody() {
		var err error
		if initial, done, err = x.front.InitialBody(); err == nil && overLimit(x.Set.MaxBodyBytes, len(initial)) {
			err = ErrTooLarge
		}
		if err == nil && !done && !req.Unsized && req.ContentLength <= retryBodyMax &&
			x.retryPolicy() != nil && idempotent(req.Method) {
			// Small enough to be held whole, so that it can be sent again.
			initial, done, err = x.readWholeBody(initial)
		}
		if err != nil {
			bc.Close()
			return x.badBody(err)
		}
		x.up.sent = int64(len(initial))
	}
	x.bodyDone = done
	x.pol.resend = done && idempotent(req.Method)

	out := x.appendUpstream(x.outBuf())
	switch {
	case req.Unsized:
		out = h1.AppendChunk(out, initial)
		if done {
			out = append(out, h1.LastChunk...)
		}
	default:
		out = append(out, initial...)
	}
	x.keepOut(out)

	// A request sent whole is written with the first read of its answer
	// (backend.Conn.WriteRead): one wait, and no read before the answer
	// can have come.
	x.bufp = x.Env.GetBuf()
	x.buf, x.n = *x.bufp, 0
	defer x.releaseBuf()
	pre, preN := false, 0
	var preErr error
	now := x.m.sentAt() // the deadline's clock reading too
	for {
		var err error
		_ = bc.SetDeadline(now.Add(x.Set.BackTimeout))
		if done {
			var writing bool
			preN, writing, err = bc.WriteRead(out, x.buf)
			if !writing {
				pre, preErr, err = true, err, nil
			}
		} else {
			_, err = bc.Write(out)
		}
		if err == nil {
			x.m.sentB += int64(len(out))
			break
		}
		bc.Close()
		if !x.mayResend(bc) {
			return x.fail(502, "writing request", err)
		}
		if bc = x.redial(bc); bc == nil {
			return x.fail(503, "reconnecting", err)
		}
		now = time.Now()
	}
	if !done {
		x.startUpload(bc)
	}
	return x.respond(bc, out, pre, preN, preErr)
}

// redial opens a fresh connection for the request, which failed on bc
// before any response byte (see mayResend): after a pooled connection, to
// the same backend (the server closed it while idle), or to another of
// the cluster when that one refuses; after a new connection, to another
// backend first (after the retry policy's backoff, if any). The request
// is sent whole from the exchange's buffer, so nothing is lost by sending
// it again.
func (x *Exchange) redial(failed *backend.Conn) *backend.Conn {
	b := failed.Backend
	x.pol.tries++
	x.replayable = false // sent again on a new connection only
	x.m.retried(b)
	if !failed.Reused {
		x.backoff()
		bc := x.connect(b)
		if bc == nil { // b is the only one left
			bc = x.connect(nil)
		}
		if bc != nil {
			x.hold(bc)
		}
		return bc
	}
	bc, err := b.Dial(context.Background(), x.Set.ConnectTimeout)
	if bc != nil {
		x.m.connect += bc.ConnectTime
	}
	if err != nil {
		x.dialFailed(b, err)
		if bc = x.connect(b); bc == nil {
			return nil
		}
	}
	x.hold(bc)
	return bc
}

// badBody answers a request whose body broke before a response began:
// 413 over the body limit, 400 for a malformed body; a client that went
// away gets nothing.
func (x *Exchange) badBody(err error) Result {
	switch {
	case errors.Is(err, ErrTooLarge):
		return x.answer(413, x.clusterAnswers())
	case errors.Is(err, ErrBadBody):
		x.Env.Log.Debug("bad request body", "request_id", string(x.ID[:]), "error", err)
		x.m.clientErr(clientParse)
		return x.answer(400, x.clusterAnswers())
	}
	x.m.clientErr(clientReset)
	return Broken
}

// sendProxyHeader writes a PROXY protocol v2 header naming the client to a
// new backend connection of a send_proxy cluster: the addresses of the
// client's own header when it had some, else the connection's.
func (x *Exchange) sendProxyHeader(bc *backend.Conn) error {
	h := proxyproto.ConnHeader(x.Client.Conn)
	if ph := x.Client.ProxyHeader; ph != nil && ph.HasAddrs() {
		h.Source, h.Dest = ph.Source, ph.Dest
	}
	return bc.SendProxyHeader(&h, x.Set.BackTimeout)
}

func (x *Exchange) releaseBuf() {
	if x.bufp != nil {
		x.Env.PutBuf(x.bufp)
		x.bufp, x.buf, x.n = nil, nil, 0
	}
}

// overLimit reports n body bytes over the limit max (0: none).
func overLimit(max int64, n int) bool { return max > 0 && int64(n) > max }
