package exchange

import (
	"errors"
	"os"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// responseLimits bound a backend's response head.
var responseLimits = h1.Limits{MaxHeadBytes: BufSize, MaxHeaderFields: 200}

// respond reads the backend's response to the request sent on bc (out, for
// a replay) and streams it to the front. pre is set when the first read
// was made with the request's write (its preN bytes are at the start of
// x.buf, its error preErr). It owns bc.
func (x *Exchange) respond(bc *backend.Conn, out []byte, pre bool, preN int, preErr error) Result {
	bc, ok, res := x.readHead(bc, out, pre, preN, preErr)
	if !ok {
		return res
	}
	x.m.answered(x.resp.Status)
	if x.dec.Sticky && x.stickyMatch != bc.Backend {
		x.setCookie = x.appendSetCookie(x.setCookie[:0], bc.Backend.StickyID())
	}
	resp := &x.resp
	if resp.Status == 101 {
		if x.Req.Upgrade == nil {
			bc.Close()
			x.finishUpload(true)
			return x.fail(502, "reading response", errors.New("unrequested 101 response"))
		}
		if x.Req.BridgeWebSocket && !x.wsAccepted() {
			bc.Close()
			x.finishUpload(true)
			return x.fail(502, "reading response", errWSAccept)
		}
		return x.tunnel(bc)
	}
	if x.Req.BridgeWebSocket && resp.Status < 300 {
		// An HTTP/2 client takes a 2xx for an open tunnel (RFC 8441 §5):
		// a backend that ignored the upgrade must not seem to accept it.
		bc.Close()
		x.finishUpload(true)
		return x.fail(502, "reading response", errWSNotUpgraded)
	}
	framing := resp.Framing(x.isHead)
	if x.pol.encoding != "" && framing != h1.FramingNone {
		x.z.on = x.compressible(x.dec.Settings.Policy.Compression, resp.Status, resp.Headers, resp.ContentLength)
	}
	var (
		after     = x.buf[resp.HeadLen:x.n] // what came with the head
		initial   []byte                    // the body bytes among them
		extra     bool                      // bytes after the body: the connection is unusable
		remaining int64
		complete  = true
		chunks    h1.ChunkedScanner
		to        Framing
		decode    = !x.front.TakesChunked() || x.z.on
	)
	// A decoded chunked body's trailers go on where the front can send
	// them (EndBody), as an HTTP/2 backend's do.
	chunks.KeepTrailers, chunks.Trailers = decode, x.trailerBuf[:0]
	switch framing {
	case h1.FramingNone:
		to, extra = NoBody, len(after) > 0
	case h1.FramingLength:
		k := min(resp.ContentLength, int64(len(after)))
		initial, to = after[:k], Length
		remaining = resp.ContentLength - k
		complete, extra = remaining == 0, int(k) < len(after)
	case h1.FramingChunked:
		var k, m int
		var err error
		if decode {
			k, m, complete, err = chunks.Decode(after)
			to = Unsized
		} else {
			k, complete, err = chunks.Scan(after)
			m, to = k, Chunked
		}
		if err != nil {
			bc.Close()
			x.finishUpload(true)
			return x.fail(502, "reading response body", err)
		}
		initial, extra = after[:m], complete && k < len(after)
	case h1.FramingUntilClose:
		initial, to, complete = after, UntilClose, false
	}
	reusable := resp.KeepAlive && framing != h1.FramingUntilClose && !extra

	h := x.backendHead(to)
	h.BodyPending = x.bodyPending()
	x.began = true
	if x.z.on {
		x.compressHead(h, x.dec.Settings.Policy.Compression)
		to = Unsized
		err := x.front.WriteHead(h, nil)
		if err == nil {
			x.z.short = x.n < len(x.buf) // the backend had no more then
			err = x.z.write(initial)
		}
		if err != nil {
			x.m.clientErr(clientReset)
			bc.Close()
			x.finishUpload(true)
			return Broken
		}
	} else if err := x.front.WriteHead(h, initial); err != nil {
		x.m.clientErr(clientReset)
		bc.Close()
		x.finishUpload(true)
		return Broken
	}
	if !complete {
		var ok bool
		switch framing {
		case h1.FramingLength:
			ok = x.copyLength(bc, remaining)
		case h1.FramingChunked:
			ok = x.copyChunked(bc, &chunks, decode)
		default:
			ok = x.copyUntilClose(bc)
		}
		x.dropBulk()
		if ok && to == Unsized {
			ok = x.endBody(&chunks) == nil
		}
		if !ok {
			bc.Close()
			x.finishUpload(true)
			return Broken
		}
	} else if to == Unsized && x.endBody(&chunks) != nil {
		bc.Close()
		x.finishUpload(true)
		return Broken
	}
	bodyRead := x.finishUpload(false)
	if reusable && bodyRead && !x.dec.Settings.SendProxy { // a send_proxy connection names its client: never shared
		x.m.end = x.m.clock() // the end of the exchange too (meter.account)
		bc.Backend.PutIdle(bc, x.m.end)
	} else {
		bc.Close()
	}
	if !bodyRead || h.BodyPending || framing == h1.FramingUntilClose {
		return Unread
	}
	return Complete
}

// readHead reads the response head into x.resp, relaying interim (1xx)
// responses other than 101, and sending the request again on a fresh
// connection when the replay policy allows. It returns the connection in
// use; on failure (ok false) it has answered the client, or the exchange
// is Broken.
func (x *Exchange) readHead(bc *backend.Conn, out []byte, pre bool, preN int, preErr error) (_ *backend.Conn, ok bool, _ Result) {
	for {
		if x.n > 0 {
			_, perr := h1.ParseResponse(x.buf[:x.n], &x.resp, responseLimits)
			if perr == nil {
				st := x.resp.Status
				if st >= 502 && st <= 504 && x.retryStatus(st) {
					if nb := x.retryElsewhere(bc, out); nb != nil {
						bc = nb
						continue
					}
				}
				if st >= 200 || st == 101 {
					return bc, true, Complete
				}
				if res, ok := x.interim(bc); !ok {
					return bc, false, res
				}
				continue
			}
			if perr == h1.ErrIncomplete && x.n == len(x.buf) {
				perr = errors.New("response head too large")
			}
			if perr != h1.ErrIncomplete {
				// On a pooled connection, bytes that are no response may
				// be left over from a backend's earlier, mis-framed answer.
				if bc.Reused && x.mayResend(bc) {
					if bc = x.replay(bc, out); bc != nil {
						continue
					}
					return nil, false, x.fail(503, "reconnecting", perr)
				}
				bc.Close()
				x.finishUpload(true)
				return bc, false, x.fail(502, "parsing response", perr)
			}
		}
		var k int
		var err error
		if pre { // read with the request's write, into x.buf[0:]
			pre = false
			k, err = preN, preErr
		} else {
			_ = bc.SetReadDeadline(x.backDeadline())
			k, err = bc.Read(x.buf[x.n:])
		}
		if k > 0 {
			x.m.firstByte(k)
		}
		x.n += k
		if k > 0 || err == nil {
			continue
		}
		// The connection was closed or reset before any response byte
		// (a pooled one by the server while idle): sent again. A backend
		// silent for back_timeout is not: it is slow, not gone, and a
		// resend would double the wait and its load (HAProxy's
		// retry-on leaves response-timeout out by default too).
		if x.n == 0 && !isTimeout(err) && x.mayResend(bc) {
			if bc = x.replay(bc, out); bc != nil {
				continue
			}
			return nil, false, x.fail(503, "reconnecting", err)
		}
		bc.Close()
		up := x.finishUpload(true)
		switch {
		case !up && x.up.client:
			return bc, false, x.badBody(x.up.err)
		case isTimeout(err):
			return bc, false, x.fail(504, "awaiting response", err)
		default:
			return bc, false, x.fail(502, "reading response", err)
		}
	}
}

// interim relays the interim response in x.resp and drops it from x.buf.
func (x *Exchange) interim(bc *backend.Conn) (Result, bool) {
	hl := x.resp.HeadLen
	h := x.backendHead(NoBody)
	x.began = true
	if err := x.front.WriteInterim(h); err != nil {
		x.m.clientErr(clientReset)
		bc.Close()
		x.finishUpload(true)
		return Broken, false
	}
	x.n = copy(x.buf, x.buf[hl:x.n])
	return Complete, true
}

// replay sends the request again, once, on a fresh connection after its
// pooled connection failed before any response (see replay.go). It
// returns the new connection, or nil when none could be made (the caller
// answers 503).
func (x *Exchange) replay(bc *backend.Conn, out []byte) *backend.Conn {
	bc.Close()
	x.n = 0
	if bc = x.redial(bc); bc == nil {
		return nil
	}
	_ = bc.SetDeadline(x.backDeadline())
	if _, err := bc.Write(out); err != nil {
		bc.Close()
		x.Env.Log.Warn("backend exchange failed", "request_id", string(x.ID[:]), "step", "writing request again", "error", err)
		return nil
	}
	return bc
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

var _ = metrics.BackendTimeout

// endBody ends an Unsized body: the compressed stream's end first, when
// the response is compressed, then the trailers of a chunked body that
// chunks decoded (none for other bodies).
func (x *Exchange) endBody(chunks *h1.ChunkedScanner) error {
	if x.z.on {
		if err := x.z.finish(); err != nil {
			return err
		}
	}
	var trailers []h1.Header
	if len(chunks.Trailers) > 0 {
		x.trailerBuf = chunks.Trailers[:0] // its capacity, for the next response
		parsed := h1.ParseTrailers(chunks.Trailers, x.fields[:0])
		trailers = parsed[:0]
		for _, f := range parsed {
			if isTrailer(f.Kind) {
				trailers = append(trailers, f)
			}
		}
		x.fields = trailers
	}
	return x.front.EndBody(trailers)
}

// isTrailer reports whether a backend's trailer field of kind k goes on
// to the client: not framing and hop-by-hop fields, as in a head.
func isTrailer(k h1.HeaderKind) bool { return responseFate[k] == keep }

// retryStatus reports whether a response of status (502, 503 or 504) is
// retried under the cluster's retry policy now: it lists the status, the
// request may be sent again and the budget allows it.
func (x *Exchange) retryStatus(status int) bool {
	rp := x.retryPolicy()
	return rp != nil && rp.RetriesStatus(status) && !x.began && x.pol.resend &&
		x.pol.tries < rp.Attempts && x.dec.Settings.Policy.Budget.Retry()
}

// retryElsewhere sends the request again, after the backoff, to another
// backend than the one that answered on bc (or to it again when it is the
// only one), dropping bc and its answer. It returns nil, leaving bc and
// its answer to the client, when no connection could be made.
func (x *Exchange) retryElsewhere(bc *backend.Conn, out []byte) *backend.Conn {
	x.pol.tries++
	x.replayable = false // sent again on a new connection only
	x.m.retried(bc.Backend)
	x.backoff()
	nb := x.connect(bc.Backend)
	if nb == nil { // the backend that answered is the only one left
		nb = x.connect(nil)
	}
	if nb == nil {
		return nil
	}
	bc.Close()
	x.n = 0
	x.hold(nb)
	_ = nb.SetDeadline(x.backDeadline())
	if _, err := nb.Write(out); err != nil {
		nb.Close()
		x.Env.Log.Warn("backend exchange failed", "request_id", string(x.ID[:]), "step", "writing request again", "error", err)
		return nil
	}
	return nb
}
