package sock

import (
	"time"
)

// TryRead makes one read into p (not empty) without waiting: again
// reports that nothing was there. When the Conn is registered in a
// Poller, readiness seen before the read is forgotten first (the read
// takes what there is), so that Empty can tell afterwards whether more
// came.
func (c *Conn) TryRead(p []byte) (n int, again bool, err error) {
	c.w.Reset()
	k := &c.rd
	k.in = p
	if cerr := c.rc.Control(k.tryFn); cerr != nil {
		k.in = nil
		c.short = false
		return 0, false, cerr
	}
	n, again, err = k.n, k.again, k.err
	k.in, k.err = nil, nil
	c.short = again || err == nil && n < len(p)
	return n, again, err
}

// Registered reports whether the Conn is in a Poller.
func (c *Conn) Registered() bool { return c.w.Registered() }

// Empty reports that a read now would find nothing, without making one:
// the Conn is registered, its last read (Read or TryRead) read less than
// it could, and the socket has not become readable since. When Empty is false the
// caller reads before it waits.
func (c *Conn) Empty() bool {
	return c.short && !c.w.Ready() && c.w.Registered()
}

// Await waits until the socket becomes readable, the deadline passes
// (os.ErrDeadlineExceeded, up to a Tick late) or the Conn is closed
// (ErrClosed), in p's order of readiness. It registers the Conn with p
// on first use (a socket readable already then counts as ready). Call it
// after a TryRead found nothing, or when Empty; once it returns nil, read
// with TryRead (which may still find nothing: wait again). Empty is false
// until that read.
func (c *Conn) Await(p *Poller, deadline time.Time) error {
	if !c.w.Registered() {
		if err := p.Register(c); err != nil {
			return err
		}
	}
	err := c.w.Wait(deadline)
	if err == nil {
		c.short = false // woken: the readiness is spent, the next read is due
	}
	return err
}

// WriteReadIn is WriteRead with the wait for the answer in p: out is
// written whole (when the send buffer fills, the rest waits in the
// runtime's poller, within the deadline), then the first bytes of the
// answer are read into in (not empty) once p reports them, before the
// deadline. The Conn is registered with p on first use.
func (c *Conn) WriteReadIn(p *Poller, out, in []byte, deadline time.Time) (n int, writing bool, err error) {
	if !c.w.Registered() {
		if err := p.Register(c); err != nil {
			return 0, true, err
		}
	}
	c.w.Reset() // readiness from before the request is not its answer
	k := &c.wr
	k.out, k.done, k.err = out, 0, nil
	cerr := c.rc.Control(k.tryWriteFn)
	done, werr, blocked := k.done, k.err, k.again
	k.out, k.err = nil, nil
	switch {
	case cerr != nil:
		return 0, true, cerr
	case werr != nil:
		return 0, true, werr
	case blocked:
		if err := c.nc.SetWriteDeadline(deadline); err != nil {
			return 0, true, err
		}
		if _, err := c.Write(out[done:]); err != nil {
			return 0, true, err
		}
	}
	for {
		if err := c.w.Wait(deadline); err != nil {
			return 0, false, err
		}
		n, again, err := c.TryRead(in)
		if !again {
			return n, false, err
		}
	}
}

// Close takes the Conn out of its Poller, waking a goroutine waiting in
// Await or WriteReadIn with ErrClosed. It does not close the socket: call
// it just before the net.Conn's Close.
func (c *Conn) Close() {
	c.w.Close()
}
