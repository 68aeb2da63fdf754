package h2

import (
	"fmt"
	"runtime/debug"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/metrics"
)

// A stream's life in its worker: the request through the exchange
// pipeline, then the stream's end and its return to the pool.

// run serves the stream's request through the pipeline, then closes the
// stream and gives it back to the pool.
func (st *stream) run() {
	s, c := st.s, st.c
	x := &st.x
	x.Env, x.Ln, x.Client, x.BytesByConn = s.env, s.ln, &c.cl, true
	res := exchange.Broken
	defer func() {
		if v := recover(); v != nil {
			s.env.Log.Error("panic while serving an HTTP/2 stream", "request_id", string(x.ID[:]),
				"listener", s.ln.Addr, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			res = exchange.Broken
		}
		st.finish(res)
	}()
	x.Start()
	err := st.request()
	switch {
	case err == nil:
		res = x.Serve(st)
	case st.gone.Load():
		res = exchange.Broken // the client reset the stream meanwhile
	case st.tooBig:
		res = x.Refused(st, 431, metrics.ClientParse)
	default:
		s.env.Log.Debug("bad request", "request_id", string(x.ID[:]), "listener", s.ln.Addr,
			"client", c.cl.Addr.Addr().String(), "error", err)
		res = x.Refused(st, 400, metrics.ClientParse)
	}
	x.Finish()
}

// finish ends the stream after its exchange: a response that went out
// whole ends the stream (RST_STREAM(NO_ERROR) too when the client is still
// sending a body the exchange did not read), a broken one resets it.
func (st *stream) finish(res exchange.Result) {
	c := st.c
	c.mu.Lock()
	st.discard = true
	if !st.began {
		c.unbegun--
	}
	if !st.cut && st.inMap {
		switch {
		case res == exchange.Broken || !st.began || st.remaining > 0:
			c.resetLocked(st, codeInternal)
		case !st.localDone:
			c.out = appendFrameHeader(c.out, 0, frameData, flagEndStream, st.id)
			st.localDone = true
		}
		if st.inMap && !st.remoteDone {
			c.resetLocked(st, codeNo)
		}
		if st.inMap && st.remoteDone && st.localDone {
			c.removeLocked(st)
		}
	}
	c.flushLocked()
	c.removeLocked(st)
	if unread := len(st.in) - st.rd; unread > 0 {
		c.grantLocked(unread)
	}
	if c.running--; c.running == 0 {
		c.kickLocked() // a writer waiting with no stream left ends
		c.parkSoonLocked()
	}
	c.mu.Unlock()
	c.wg.Done()
	st.s.release(st)
}
