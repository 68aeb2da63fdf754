package exchange

import (
	"context"
	"net/netip"
	"time"

	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/metrics"
)

// Exchange is one request through the proxy and everything it holds while
// in flight. A front owns it: it sets Env, Ln, Client and BytesByConn once,
// then for each request calls Start, fills Req, calls Serve (or Refuse)
// and Finish; it may reuse it for the next request. Between requests it
// holds no buffer.
type Exchange struct {
	Env *Env
	Ln  *listener.HTTP
	// Client is the connection the requests come on.
	Client *Client
	// BytesByConn is set by fronts that count their listener's bytes per
	// connection (HTTP/2, whose frames carry several streams); the
	// exchange then counts its bytes only in its access log line.
	BytesByConn bool

	// Set is the listener's settings snapshot of the exchange in progress
	// (taken by Start).
	Set *listener.Settings
	// Req is the request in progress.
	Req Request
	// ID is the request id.
	ID [IDLen]byte

	front Front
	dec   Decision
	m     meter

	dial        backend.Dial // its funcs bound once (see bind)
	bound       bool
	holding     *backend.Backend // the backend counting this request in flight
	stickyMatch *backend.Backend // the backend the sticky cookie named, when picked
	setCookie   []byte           // the Set-Cookie value pinning the client, or empty
	replayable  bool             // the request may still be sent again
	began       bool             // a response head (or interim) went to the client
	bodyDone    bool             // the request body was read whole
	h2body      *h2Body          // the body going to an HTTP/2 backend, while it goes
	// h2req is the request to an HTTP/2 backend (its Fields reused);
	// h2vals the values the stage makes for it (h2Fields).
	h2req  h2client.Request
	h2vals []byte
	// isHead is set for a HEAD request. It is kept apart because Req's
	// slices alias the front's buffer, which a body upload reuses: the
	// stage reads them only before the body goes.
	isHead bool

	wsKey [wsKeyLen]byte // the Sec-WebSocket-Key of a bridged upgrade

	resp   h1.Response // a backend's response head
	fields []h1.Header // the fields of the head being written
	// trailerBuf holds a decoded chunked body's trailer section (kept by
	// its ChunkedScanner), reused from response to response.
	trailerBuf []byte
	head       Head
	loc        []byte // a redirect's Location

	outp   *[]byte // the request head (and first body bytes) sent; answers' bodies
	bufp   *[]byte // backend reads
	buf    []byte
	n      int     // bytes in buf
	bulk   *[]byte // while a long response body is copied: its buffer (copy.go)
	noBulk bool    // none was free for the body being copied (copy.go)

	up upload

	// Traffic policy (policy-guard).
	pol       policy
	z         compressor
	acceptBuf [][]byte // Accept-Encoding values, while negotiating
	bodyp     *[]byte  // a small body read whole to be sent again

	// Rewrites (issue 16): set by prepareRewrites for a request going to
	// a backend.
	rw            *rewriting // nil until an exchange first rewrites
	upHost        []byte     // the Host sent to the backend when rewritten, else nil
	upTarget      []byte     // the target sent to the backend when rewritten, else nil
	hostRewritten bool       // upHost is the frontend's rewrite
	reqEdits      bool       // a request field may be dropped or added (see dropRequestField)
	respEdits     bool       // a response field may be dropped or added (see dropResponseField)

	tr trace // the W3C Trace Context, when the proxy traces (trace.go)

	// The text of the client's IP (ipOf), for the forwarding fields (see
	// appendIP).
	ip    [45]byte
	ipLen uint8
	ipOf  netip.Addr
}

// Start begins a request: a new id, the listener's settings as they are
// now, and the accounting from now on. The front fills Req next.
func (x *Exchange) Start() {
	x.Env.NewID(&x.ID)
	x.Set = x.Ln.Settings()
	x.Req = Request{ContentLength: -1}
	x.dec = Decision{}
	x.setCookie = x.setCookie[:0]
	x.stickyMatch = nil
	x.replayable, x.began, x.bodyDone, x.isHead = false, false, false, false
	x.h2body = nil
	x.up.reset()
	x.pol = policy{}
	x.m.begin(x)
}

// Started is the clock reading Start took: a front derives the deadline
// of the request's head from it, without a reading of its own.
func (x *Exchange) Started() time.Time { return x.m.start }

// Ended is a clock reading taken as the exchange ended (when its backend
// connection was pooled, or by its accounting in Finish), or the zero
// Time when none was taken: a front uses it instead of a reading of its
// own. Valid after Finish until the next Start.
func (x *Exchange) Ended() time.Time { return x.m.end }

// Serve serves the request in x.Req through front f: it decides its fate,
// answers it or forwards it to a backend, and streams the response back
// through f. It returns how the exchange ended.
func (x *Exchange) Serve(f Front) Result {
	x.front = f
	x.isHead = x.Req.IsHead()
	if t := x.Env.Tracer; t != nil {
		x.beginTrace(t)
	}
	x.m.parsed(x)
	x.Env.Requests.Add(1)
	if x.Env.TestHook != nil {
		x.Env.TestHook(x)
	}
	x.dec = Decide(&Facts{Req: &x.Req, Listener: x.Set, Routes: x.Ln.Routes(), Cert: x.Client.Cert,
		Challenges: x.Env.Challenges})
	d := &x.dec
	x.m.cluster = d.Cluster
	var answers = x.clusterAnswers()
	if d.Status != 0 {
		if d.Challenge != "" {
			return x.answerChallenge()
		}
		return x.answer(d.Status, answers)
	}
	if p := d.Settings.Policy; d.Auth != nil || d.Limit != nil || p != nil {
		if st := x.guard(); st != 0 {
			return x.answer(st, answers)
		}
		if p != nil {
			x.preparePolicy(p)
		}
	}
	x.prepareRewrites()
	x.replayable = d.Replayable
	if d.H2 {
		return x.forwardH2()
	}
	bc := x.connect(nil)
	if bc == nil {
		return x.noBackend(x.dial.Err, answers)
	}
	if d.Cookie != nil && string(d.Cookie) == bc.Backend.StickyID() {
		x.stickyMatch = bc.Backend
	}
	x.hold(bc)
	defer x.hold(nil)
	return x.forward(bc)
}

// Refused answers a request the front refused itself before it could fill
// Req (see Refuse), counting it as a client error of kind k.
func (x *Exchange) Refused(f Front, status int, k metrics.ClientError) Result {
	x.front = f
	x.m.clientErr(k)
	return x.Refuse(status)
}

// Finish ends the request: it counts it into the metric sets, writes its
// access log line, and lets go of the exchange's buffers.
func (x *Exchange) Finish() {
	x.m.account(x)
	if x.tr.on {
		x.tr = trace{state: x.tr.state[:0]}
	}
	x.releaseOut()
	if x.z.enc != nil {
		x.z.release()
	}
	if x.bodyp != nil {
		x.Env.PutBuf(x.bodyp)
		x.bodyp = nil
	}
	x.front = nil
}

// clusterAnswers are the matched cluster's replacement answers, or nil.
func (x *Exchange) clusterAnswers() *answer.Set {
	if x.dec.Settings == nil {
		return nil
	}
	return x.dec.Settings.Answers
}

// bind fills the dial funcs once per Exchange.
func (x *Exchange) bind() {
	if x.bound {
		return
	}
	x.bound = true
	x.dial.Failed = x.dialFailed
	x.dial.Retried = x.m.retried
}

// connect picks a backend and returns a connection to it (see
// backend.Cluster.Connect): pooled when the request can be replayed, the
// one its sticky cookie names first, another when a connect fails; avoid
// is a backend not to pick first (one a replay just failed on). New
// connections of a send_proxy cluster start with a PROXY header naming the
// client, and are never pooled. It returns nil when no backend could be
// reached.
func (x *Exchange) connect(avoid *backend.Backend) *backend.Conn {
	x.bind()
	cs := x.dec.Settings
	d := &x.dial
	d.Reuse, d.Sticky, d.Avoid = x.replayable && !cs.SendProxy, x.dec.Cookie, avoid
	d.Hash, d.Hashed = x.pol.hash, x.pol.hashed
	d.Timeout, d.IdleTimeout = x.Set.ConnectTimeout, x.Env.IdleBackendTimeout
	d.Now = x.m.clock()
	d.Prepare = nil
	if cs.SendProxy {
		d.Prepare = x.sendProxyHeader
	}
	bc := x.dec.Cluster.Connect(context.Background(), d)
	if bc != nil {
		x.m.connect += bc.ConnectTime
	}
	return bc
}

// dialFailed logs a failed connect of the exchange in progress.
func (x *Exchange) dialFailed(b *backend.Backend, err error) {
	x.Env.Log.Warn("backend connect failed", "request_id", string(x.ID[:]), "cluster", x.dec.Cluster.ID,
		"backend", b.Config.ID, "address", b.Addr, "error", err)
}

// hold makes bc the exchange's backend connection: its backend counts the
// request in flight (the previous one, after a replay elsewhere, no longer
// does) and the front can cut it. hold(nil) ends the exchange's hold.
func (x *Exchange) hold(bc *backend.Conn) {
	var b *backend.Backend
	if bc != nil {
		b = bc.Backend
		x.m.backend = b
	}
	if b != x.holding {
		if x.holding != nil {
			x.holding.Release()
		}
		if b != nil {
			b.Acquire()
		}
		x.holding = b
	}
	x.front.Holding(bc)
}

// outBuf returns the exchange's output buffer, empty, taking it from the
// pool on first use; keepOut stores back what it grew into.
func (x *Exchange) outBuf() []byte {
	if x.outp == nil {
		x.outp = x.Env.GetBuf()
	}
	return (*x.outp)[:0]
}

func (x *Exchange) keepOut(b []byte) { *x.outp = b[:cap(b)] }

func (x *Exchange) releaseOut() {
	if x.outp != nil {
		x.Env.PutBuf(x.outp)
		x.outp = nil
	}
}

// fail answers status when the exchange broke before a response began,
// logging the step that failed.
func (x *Exchange) fail(status int, step string, err error) Result {
	x.Env.Log.Warn("backend exchange failed", "request_id", string(x.ID[:]), "step", step, "error", err)
	switch {
	case status == 504:
		x.m.backendErr(metrics.BackendTimeout)
	case step == "parsing response":
		x.m.backendErr(metrics.BackendParse)
	case status == 502:
		x.m.backendErr(metrics.BackendReset)
	}
	return x.answer(status, x.clusterAnswers())
}

// backTimeout is the deadline of a backend wait starting now.
func (x *Exchange) backDeadline() time.Time { return time.Now().Add(x.Set.BackTimeout) }
