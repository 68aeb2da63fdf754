package exchange

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/guard"
	"github.com/sluiceproxy/sluice/internal/encode"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/order"
)

// The traffic policy on the exchange (policy-guard): the guards of a
// route and its cluster (rate limits, basic auth), the hashing key of
// maglev, retries and the choice to compress. A request whose route and
// cluster set none of them pays for a nil check or two.

// policy is what the exchange in progress keeps of its policy.
type policy struct {
	challenge  []byte // WWW-Authenticate of a 401
	retryAfter int64  // seconds, of a 429
	stripAuth  bool   // the Authorization field does not go on
	hash       uint64 // the maglev key's hash, when hashed
	hashed     bool
	encoding   string // the encoding the client accepts best, "" for none
	ranged     bool   // the request has a Range field
	resend     bool   // the request may be sent again: idempotent, body sent whole
	tries      int    // times it was sent again
}

// guard runs the guards of the decided route and cluster, in this order:
// the frontend's rate limit (before the password hash that basic auth
// costs), its basic auth, the cluster's rate limit. It returns the status
// of the answer when one refuses the request, else 0.
func (x *Exchange) guard() int {
	d := &x.dec
	if d.Limit != nil && !x.allow(d.Limit) {
		return 429
	}
	if a := d.Auth; a != nil {
		if !a.Check(fieldValue(x.Req.Fields, "authorization")) {
			x.pol.challenge = a.Challenge
			return 401
		}
		x.pol.stripAuth = !a.Forward
	}
	if p := d.Settings.Policy; p != nil && p.Limit != nil && !x.allow(p.Limit) {
		return 429
	}
	return 0
}

// allow takes a token of l for the request, noting the Retry-After of a
// refusal.
func (x *Exchange) allow(l *guard.Limiter) bool {
	var ok bool
	var wait time.Duration
	if h := l.Header(); h != nil {
		if v := fieldValue(x.Req.Fields, string(h)); v != nil {
			ok, wait = l.AllowKey(v)
		} else {
			ok, wait = l.AllowAddr(x.Client.Addr.Addr())
		}
	} else {
		ok, wait = l.AllowAddr(x.Client.Addr.Addr())
	}
	if !ok {
		x.pol.retryAfter = int64((wait + time.Second - 1) / time.Second)
	}
	return ok
}

// prepare notes what the cluster's policy needs of the request head
// before its body goes (the head's slices are the front's buffer): the
// maglev key's hash and the encoding the client accepts.
func (x *Exchange) preparePolicy(p *backend.Policy) {
	req := &x.Req
	switch p.HashSource {
	case "":
	case order.HashHeader:
		if v := fieldValue(req.Fields, string(p.HashName)); v != nil {
			x.pol.hash, x.pol.hashed = backend.HashKey(v), true
		}
	case order.HashCookie:
		if v := stickyCookie(req.Fields, string(p.HashName)); v != nil {
			x.pol.hash, x.pol.hashed = backend.HashKey(v), true
		}
	}
	if p.HashSource != "" && !x.pol.hashed {
		a := x.Client.Addr.Addr().As16()
		x.pol.hash, x.pol.hashed = backend.HashKey(a[:]), true
	}
	if p.Budget != nil {
		p.Budget.Request()
	}
	if z := p.Compression; z != nil && !x.isHead {
		vs := x.acceptBuf[:0]
		for i := range req.Fields {
			f := &req.Fields[i]
			switch {
			case hasName(f, "accept-encoding"):
				vs = append(vs, f.Value)
			case hasName(f, "range"):
				x.pol.ranged = true
			}
		}
		if !x.pol.ranged && len(vs) > 0 {
			x.pol.encoding = encode.Negotiate(vs, z.Algorithms)
		}
		clear(vs)
		x.acceptBuf = vs[:0]
	}
}

// fieldValue returns the value of the first field named lower (lower
// case), or nil.
func fieldValue(fs []h1.Header, lower string) []byte {
	for i := range fs {
		if len(fs[i].Name) == len(lower) && h1.EqualFold(fs[i].Name, lower) {
			return fs[i].Value
		}
	}
	return nil
}

// appendPolicyFields adds the fields of a 401 or 429 answer.
func (x *Exchange) appendPolicyFields(fs []h1.Header, status int) []h1.Header {
	switch status {
	case 401:
		if x.pol.challenge != nil {
			fs = append(fs, h1.Header{Name: nameWWWAuthenticate, Value: x.pol.challenge})
		}
	case 429:
		x.loc = strconv.AppendInt(x.loc[:0], max(x.pol.retryAfter, 1), 10)
		fs = append(fs, h1.Header{Name: nameRetryAfter, Value: x.loc})
	}
	return fs
}

var (
	nameWWWAuthenticate = []byte("WWW-Authenticate")
	nameRetryAfter      = []byte("Retry-After")
)

// Retries. The rule: a request is sent again only when no byte of a
// response has reached the client, its method is idempotent (RFC 9110
// §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE) and its whole body went
// out from the exchange's buffer with its head — none, one that came with
// the head, or, on a cluster with a retry policy, a body of a declared
// length of at most retryBodyMax that the exchange reads whole first. A
// body streamed to the backend by the upload is never sent twice. Without
// a retry policy a request is sent again once, when its connection (pooled
// or new) fails before any response byte; with one, up to its attempts,
// also for the statuses it lists, each retry after the first failure of a
// new connection within the cluster's budget and after a backoff.

// retryBodyMax bounds the bodies read whole so that they can be sent
// again.
const retryBodyMax = 8 << 10

// idempotent reports an idempotent method.
func idempotent(m []byte) bool {
	switch string(m) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// retryPolicy is the cluster's retry policy, or nil.
func (x *Exchange) retryPolicy() *backend.Retry {
	if p := x.dec.Settings.Policy; p != nil {
		return p.Retry
	}
	return nil
}

// mayResend reports whether the request, which failed on bc before any
// response byte reached the client, may be sent again now; it counts the
// retry in the budget when it is one.
func (x *Exchange) mayResend(bc *backend.Conn) bool {
	if x.began || !x.pol.resend {
		return false
	}
	rp := x.retryPolicy()
	limit := 1
	if rp != nil {
		limit = rp.Attempts
	}
	if x.pol.tries >= limit {
		return false
	}
	// A pooled connection the server closed while idle is no failure of
	// the backend's: its resend is free.
	if rp != nil && !bc.Reused && !x.dec.Settings.Policy.Budget.Retry() {
		return false
	}
	return true
}

// backoff waits before a retry of a cluster with a retry policy: its
// backoff doubled for each earlier retry, with jitter, at most a second.
func (x *Exchange) backoff() {
	rp := x.retryPolicy()
	if rp == nil || rp.Backoff <= 0 {
		return
	}
	d := rp.Backoff << min(x.pol.tries-1, 6)
	d = min(d, time.Second)
	d -= time.Duration(rand.Int64N(int64(d)/2 + 1))
	time.Sleep(d)
}

// readWholeBody reads the rest of a small body of declared length so that
// the request can be sent again (see retryBodyMax); p are the bytes the
// front held. It returns the whole body, in a buffer of the exchange's,
// or ok false when the body cannot be read (err says why).
func (x *Exchange) readWholeBody(p []byte) (body []byte, ok bool, err error) {
	if x.bodyp == nil {
		x.bodyp = x.Env.GetBuf()
	}
	b := append((*x.bodyp)[:0], p...)
	n := x.Req.ContentLength
	for int64(len(b)) < n {
		k, err := x.front.ReadBody(b[len(b):n])
		b = b[:len(b)+k]
		if err != nil && int64(len(b)) < n {
			return nil, false, err
		}
	}
	return b, true, nil
}
