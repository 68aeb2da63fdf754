package h2client

import "runtime"

// Flushing. A request's HEADERS frame is not written to the backend at
// once: the flusher, a goroutine of the connection's, flushes the
// buffered frames after the goroutines already runnable have had their
// turn, so that the requests of many clients woken by one poll (or the
// streams of an HTTP/2 client's burst) go out in one system call, as an
// event loop that flushes after its batch would send them. Other frames
// (DATA, WINDOW_UPDATE, RST_STREAM, the acknowledgements) are flushed by
// their writer (flushLocked), which sends what the flusher has not sent
// yet with them.

// flushSoon asks the flusher for a flush of what is buffered; wmu is not
// held.
func (c *Conn) flushSoon() {
	select {
	case c.flushReq <- struct{}{}:
	default: // one is asked already, and covers this
	}
}

// flusher flushes when asked, after yielding once; it ends when stop is
// closed (by the reading goroutine, which waits for it) and closes done.
func (c *Conn) flusher(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-c.flushReq:
		case <-stop:
			return
		}
		// The runnable goroutines first: those that write a HEADERS
		// meanwhile are sent with this flush.
		runtime.Gosched()
		c.lockWrite()
		var err error
		if c.bw.Buffered() > 0 {
			err = c.flushLocked()
		}
		c.wmu.Unlock()
		if err != nil {
			c.fail(err)
		}
	}
}
