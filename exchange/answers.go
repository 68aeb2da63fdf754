package exchange

import (
	"github.com/sluiceproxy/sluice/answer"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// answer writes the proxy's own answer for status through the front: the
// cluster's replacement (cs, may be nil), else the listener's, else the
// default page, with the request id, HSTS on TLS connections and, for an
// https redirect, its Location. It reports Complete when the request had no
// body left to read, else Unread; Broken when the write failed.
func (x *Exchange) answer(status int, cs *answer.Set) Result {
	var a answer.Answer
	buf := x.outBuf()
	buf = answer.Render(&a, buf, status, x.ID[:], cs, x.Set.Answers)
	fs := append(x.fields[:0], a.Fields...)
	if x.dec.Redirect && status == x.dec.Status {
		x.loc = x.appendLocation(x.loc[:0])
		fs = append(fs, h1.Header{Name: nameLocation, Value: x.loc})
	}
	if status == 401 || status == 429 {
		fs = x.appendPolicyFields(fs, status)
	}
	fs = x.appendOwn(fs)
	x.fields = fs
	r := x.sendOwn(status, a.Reason, a.Body)
	x.keepOut(buf)
	return r
}

// sendOwn writes an answer of the proxy's own, whose fields are x.fields:
// its head and whole body (none for HEAD), and tells how the exchange
// ended.
func (x *Exchange) sendOwn(status int, reason, body []byte) Result {
	x.head = Head{Status: status, Reason: reason, Fields: x.fields, Framing: Length,
		ContentLength: int64(len(body)), BodyPending: x.bodyPending()}
	if x.isHead {
		x.head.Framing, body = NoBody, nil
	}
	x.m.status = status
	switch err := x.front.WriteHead(&x.head, body); {
	case err != nil:
		x.m.clientErr(clientReset)
		return Broken
	case x.head.BodyPending:
		return Unread
	}
	return Complete
}

// Refuse answers status for a request the front could not read (a
// malformed or too large head, one that came too slowly): no Request was
// filled, nothing reaches a backend. The front closes the connection after
// it.
func (x *Exchange) Refuse(status int) Result {
	x.dec = Decision{}
	return x.answer(status, nil)
}

// bodyPending reports whether the request has a body that has not been
// read whole.
func (x *Exchange) bodyPending() bool {
	return x.Req.HasBody() && !x.bodyDone && !x.up.bodyRead() && !(x.h2body != nil && x.h2body.whole.Load())
}
