package h2

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/cookie"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// responseLimits bound a backend's response head, as for HTTP/1.1.
var responseLimits = h1.Limits{MaxHeadBytes: bufSize, MaxHeaderFields: 200}

// exchange is the backend side of one stream.
type exchange struct {
	st         *stream
	cs         *backend.Settings
	cur        atomic.Pointer[backend.Conn] // closed when the stream goes away
	replayable bool
	head       []byte // the request head as sent, for a replay
	up         *upload
}

// forward sends the request to bc and streams the response back. It owns
// bc: the connection is pooled again or closed before forward returns.
func (st *stream) forward(bc *backend.Conn, cs *backend.Settings, replayable bool) {
	x := &exchange{st: st, cs: cs, replayable: replayable}
	x.cur.Store(bc)
	// A stream reset by the client, or its connection closing, cuts the
	// backend connection, which ends every wait below.
	stop := context.AfterFunc(st.r.Context(), func() { x.cur.Load().Close() })
	defer stop()
	x.head = append(st.appendHead(make([]byte, 0, 1024+len(st.body))), st.body...)
	st.sent = time.Now()
	if !x.send() {
		return
	}
	if st.r.ContentLength != 0 && st.body == nil {
		x.up = startUpload(x, st.r.Body, st.r.ContentLength)
	}
	ok, reusable := x.respond()
	if !x.finishUpload(!ok) {
		reusable = false
	}
	bc = x.cur.Load()
	if stop() && ok && reusable && !cs.SendProxy { // a send_proxy connection names its client
		bc.Backend.PutIdle(bc, time.Now())
	} else {
		bc.Close()
	}
	if !ok {
		// The response began and broke: reset the stream, so the client
		// cannot take a truncated body for a whole one. ErrAbortHandler is
		// net/http's documented way to do so; the server recovers it.
		panic(http.ErrAbortHandler)
	}
}

// send writes the request head, once more on a fresh connection when a
// pooled one turns out dead and the request can be replayed. It answers
// and reports false on failure.
func (x *exchange) send() bool {
	st := x.st
	for retried := false; ; retried = true {
		bc := x.cur.Load()
		_ = bc.SetDeadline(time.Now().Add(st.set.BackTimeout))
		_, err := bc.Write(x.head)
		if err == nil {
			return true
		}
		bc.Close()
		if !bc.Reused || !x.replayable || retried {
			x.fail(502, "writing request", err)
			return false
		}
		if !x.redial() {
			x.fail(503, "reconnecting", err)
			return false
		}
	}
}

// redial replaces the current connection with a new one to its backend.
func (x *exchange) redial() bool {
	old := x.cur.Load()
	bc, err := old.Backend.Dial(x.st.r.Context(), x.st.set.ConnectTimeout)
	if err != nil {
		return false
	}
	x.cur.Store(bc)
	return x.st.r.Context().Err() == nil
}

// fail answers status when the exchange broke before a response began.
func (x *exchange) fail(status int, step string, err error) {
	st := x.st
	if st.r.Context().Err() != nil {
		return // the client is gone
	}
	st.srv.env.Log.Warn("backend exchange failed", "request_id", string(st.id[:]), "step", step, "error", err)
	st.answer(status, nil, x.cs.Answers)
}

// respond reads the response head and streams the response. ok is false
// when the response began and could not be finished; reusable says whether
// the backend connection may be pooled.
func (x *exchange) respond() (ok, reusable bool) {
	st := x.st
	buf := *st.bufp
	var resp h1.Response
	n, status := x.readHead(buf, &resp)
	if status < 0 {
		return false, false // reset
	}
	if status != 0 {
		return true, false // answered
	}
	st.first = time.Now()
	framing := resp.Framing(st.head)
	st.copyFields(&resp, framing)
	st.w.WriteHeader(resp.Status)
	if framing == h1.FramingNone {
		return true, resp.KeepAlive && resp.HeadLen == n
	}
	fl, _ := st.w.(http.Flusher)
	body := &bodyCopy{x: x, w: st.w, fl: fl, buf: buf}
	switch framing {
	case h1.FramingLength:
		return body.length(buf[resp.HeadLen:n], resp.ContentLength, resp.KeepAlive)
	case h1.FramingChunked:
		return body.chunked(buf[resp.HeadLen:n], resp.KeepAlive)
	default:
		return body.untilClose(buf[resp.HeadLen:n]), false
	}
}

// readHead reads the backend's final response head into resp, relaying
// 103 Early Hints and dropping other interim responses. It returns the
// bytes in buf, or a non-zero status once it has answered the failure.
func (x *exchange) readHead(buf []byte, resp *h1.Response) (int, int) {
	st := x.st
	n := 0
	for {
		if n > 0 {
			_, perr := h1.ParseResponse(buf[:n], resp, responseLimits)
			if perr == nil {
				if resp.Status >= 200 {
					return n, 0
				}
				if resp.Status == 101 {
					perr = errors.New("unrequested 101 response")
				} else {
					if resp.Status == 103 {
						st.relayInterim(resp)
					}
					n = copy(buf, buf[resp.HeadLen:n])
					continue
				}
			}
			if perr == h1.ErrIncomplete && n == len(buf) {
				perr = errors.New("response head too large")
			}
			if perr != h1.ErrIncomplete {
				x.abortUpload()
				x.fail(502, "parsing response", perr)
				return n, 502
			}
		}
		bc := x.cur.Load()
		_ = bc.SetReadDeadline(time.Now().Add(st.set.BackTimeout))
		k, err := bc.Read(buf[n:])
		n += k
		if k > 0 || err == nil {
			continue
		}
		x.abortUpload()
		if x.up != nil && x.up.client {
			// The client's body broke its framing (shorter or longer
			// than declared) or the stream went away: the upload cut
			// the backend connection; the stream is reset.
			return n, -1
		}
		if n == 0 && bc.Reused && x.replayable {
			// The pooled connection was closed by the server while idle:
			// send the request again on a fresh one, once.
			x.replayable = false
			bc.Close()
			if !x.redial() {
				x.fail(503, "reconnecting", err)
				return 0, 503
			}
			if !x.send() {
				return 0, 502
			}
			continue
		}
		x.abortUpload()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			x.fail(504, "awaiting response", err)
			return n, 504
		}
		x.fail(502, "reading response", err)
		return n, 502
	}
}

// relayInterim sends an interim response's fields to the client.
func (st *stream) relayInterim(resp *h1.Response) {
	h := st.w.Header()
	saved := h.Clone()
	clear(h)
	for _, f := range resp.Headers {
		if f.Kind == h1.HeaderOther && !resp.ConnectionListed(f.Name) {
			h[string(f.Name)] = append(h[string(f.Name)], string(f.Value))
		}
	}
	st.w.WriteHeader(resp.Status)
	clear(h)
	for k, v := range saved {
		h[k] = v
	}
}

// copyFields sets the response fields: the backend's less the hop-by-hop
// ones, the length when it is known, the request id and HSTS.
func (st *stream) copyFields(resp *h1.Response, framing h1.Framing) {
	h := st.w.Header()
	sawHSTS := false
	for _, f := range resp.Headers {
		switch f.Kind {
		case h1.HeaderConnection, h1.HeaderKeepAlive, h1.HeaderProxyConnection, h1.HeaderTE,
			h1.HeaderUpgrade, h1.HeaderTransferEncoding, h1.HeaderSluiceRequestID, h1.HeaderContentLength:
			continue
		case h1.HeaderOther:
			if resp.ConnectionListed(f.Name) {
				continue
			}
		}
		name := http.CanonicalHeaderKey(string(f.Name))
		sawHSTS = sawHSTS || name == "Strict-Transport-Security"
		h[name] = append(h[name], string(f.Value))
	}
	if resp.ContentLength >= 0 && (framing == h1.FramingLength || st.head) {
		h["Content-Length"] = []string{strconv.FormatInt(resp.ContentLength, 10)}
	}
	h["Sluice-Request-Id"] = []string{string(st.id[:])}
	if st.setCookie != "" {
		h["Set-Cookie"] = append(h["Set-Cookie"], string(cookie.AppendSetCookie(nil, st.set.CookieName(), st.setCookie)))
	}
	if st.hsts != nil && !sawHSTS {
		h["Strict-Transport-Security"] = []string{hstsValue(st.hsts)}
	}
}
