package sock

import (
	"net"
	"sync"
	"syscall"
)

// Conn does a connection's reads and writes with raw system calls where
// it can, and through the net.Conn itself elsewhere (TLS, pipes, systems
// without raw calls). The zero Conn is unusable; set one up with Init.
type Conn struct {
	nc net.Conn
	rc syscall.RawConn // nil where raw calls are not made

	// The read side and the write side each have their own call state,
	// so that a Read and a Write may run at once.
	rd, wr call
	// The RawConn callbacks, bound once by Init: readFn, writeReadFn and
	// peekFn to rd, writeFn to wr.
	readFn, writeFn, writeReadFn, peekFn func(fd uintptr) bool

	// The read and write deadlines, handed to the connection lazily
	// (under mu): see SetReadDeadline.
	mu       sync.Mutex
	rdl, wdl lazy
}

// call is one Read, Write or WriteRead in progress: its arguments and its
// results. The callbacks handed to the RawConn are the Conn's, bound to
// its calls once by Init, so that a call allocates nothing.
type call struct {
	out  []byte // bytes to write
	more []byte // for WriteTwo: bytes to write after out, in the same writev(2)
	in   []byte // buffer to read into
	done int    // bytes of out written so far
	past int    // for WriteTwo: bytes of an earlier out, now fully written
	n    int    // bytes read
	err  error
	// For WriteRead: wrote is set once out is written whole; stuck when
	// the socket's send buffer filled before that.
	wrote, stuck bool
	quiet        bool // Quiet's result
}

// Init sets c up for nc. It reports whether c makes raw calls: false when
// nc gives no raw access to its descriptor (TLS, pipes, wrapped
// connections) or the system has none; c then reads and writes through
// nc.
func (c *Conn) Init(nc net.Conn) bool {
	c.nc, c.rc = nc, nil
	c.rdl.want.Store(0)
	c.wdl.want.Store(0)
	c.rdl.held, c.wdl.held = 0, 0
	sc, ok := nc.(syscall.Conn)
	if !ok || !supported {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	c.rc = rc
	if c.readFn == nil { // bound once: a Conn that is Init again allocates nothing
		c.readFn, c.writeReadFn, c.peekFn = c.rd.readOnce, c.rd.writeRead, c.rd.peek
		c.writeFn = c.wr.write
	}
	return true
}

// Clear drops the connection, so that c may be kept (pooled) for another
// Init without holding on to it.
func (c *Conn) Clear() {
	c.nc, c.rc = nil, nil
	c.rd, c.wr = call{}, call{}
	c.rdl.want.Store(0)
	c.wdl.want.Store(0)
	c.rdl.held, c.wdl.held = 0, 0
}

// Ready reports whether c makes raw calls.
func (c *Conn) Ready() bool { return c.rc != nil }

// RawConn is the connection's syscall.RawConn, for callers that run their
// own callbacks (with ReadFD); nil before Init.
func (c *Conn) RawConn() syscall.RawConn { return c.rc }

// Read reads into p once bytes are available, like net.Conn's Read: it
// returns io.EOF when the peer has closed, and the poller's error (the
// deadline passed, or the connection was closed) when waiting failed.
func (c *Conn) Read(p []byte) (int, error) {
	if c.rc == nil {
		return c.nc.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	k := &c.rd
	k.in, k.n, k.err = p, 0, nil
	err := c.rc.Read(c.readFn)
	for err != nil && c.early(err, false) {
		err = c.rc.Read(c.readFn)
	}
	n := k.n
	if err == nil {
		err = k.err
	}
	k.in, k.err = nil, nil
	return n, err
}

// Write writes p whole, waiting for room in the socket's send buffer when
// it is full, like net.Conn's Write. It returns the bytes written.
func (c *Conn) Write(p []byte) (int, error) {
	if c.rc == nil {
		return c.nc.Write(p)
	}
	k := &c.wr
	k.out, k.done, k.err = p, 0, nil
	err := c.rc.Write(c.writeFn)
	for err != nil && c.early(err, true) {
		err = c.rc.Write(c.writeFn)
	}
	n := k.done
	if err == nil {
		err = k.err
	}
	k.out, k.err = nil, nil
	return n, err
}

// WriteTwo writes a, then b, whole, like Write(a) then Write(b), but in
// one writev(2) where it can: one system call and, over TCP, the two parts
// in the same segments instead of a small one for a. It returns the bytes
// written of both.
func (c *Conn) WriteTwo(a, b []byte) (int, error) {
	if len(b) == 0 {
		return c.Write(a)
	}
	if c.rc == nil {
		n, err := c.nc.Write(a)
		if err == nil {
			var k int
			k, err = c.nc.Write(b)
			n += k
		}
		return n, err
	}
	k := &c.wr
	k.out, k.more, k.done, k.past, k.err = a, b, 0, 0, nil
	err := c.rc.Write(c.writeFn)
	for err != nil && c.early(err, true) {
		err = c.rc.Write(c.writeFn)
	}
	n := k.past + k.done
	if err == nil {
		err = k.err
	}
	k.out, k.more, k.err = nil, nil, nil
	return n, err
}

// Shutdown sends the end of the stream (shutdown(2) for writing): the
// FIN, most of what closing a connection costs, without the scheduler's
// hand-off. It is for just before the net.Conn's Close; errors are
// ignored, since Close follows.
func (c *Conn) Shutdown() {
	if c.rc != nil {
		Shutdown(c.rc)
	}
}

// Shutdown is Conn.Shutdown on a connection's RawConn.
func Shutdown(rc syscall.RawConn) { _ = rc.Control(shutdownWrite) }

// Quiet reports, without waiting, whether the connection is open with
// nothing to read: a peek at the socket finds no byte and no end of
// stream. A pooled connection that is not quiet was closed by its peer or
// holds bytes nobody asked for, and must not be used again. Only where
// c makes raw calls (Ready).
func (c *Conn) Quiet() bool {
	k := &c.rd
	k.quiet = false
	err := c.rc.Read(c.peekFn)
	for err != nil && c.early(err, false) {
		err = c.rc.Read(c.peekFn)
	}
	return err == nil && k.quiet
}

// WriteRead writes out whole, then reads into in once the peer's first
// bytes arrive. It is for a peer that sends nothing before it has read
// out, such as an HTTP/1.1 server given a request: the write happens
// after the runtime's poller was told to wait for readability, so the
// answer cannot slip by unseen and no read is tried before it can have
// come. (Bytes the peer sent earlier are still read, once it sends more
// or closes.)
//
// It returns the bytes read and an error; writing tells whether the error
// came while writing out (nothing was read then). Both deadlines of the
// connection apply.
func (c *Conn) WriteRead(out, in []byte) (n int, writing bool, err error) {
	if c.rc == nil || len(in) == 0 {
		if _, err := c.Write(out); err != nil || len(in) == 0 {
			return 0, err != nil, err
		}
		n, err = c.Read(in)
		return n, false, err
	}
	k := &c.rd
	k.out, k.in, k.done, k.n, k.err = out, in, 0, 0, nil
	k.wrote, k.stuck = false, false
	perr := c.rc.Read(c.writeReadFn)
	for perr != nil && c.early(perr, false) { // a read wait: the write is made in the callback
		perr = c.rc.Read(c.writeReadFn)
	}
	n, err, wrote, stuck, done := k.n, k.err, k.wrote, k.stuck, k.done
	k.out, k.in, k.err = nil, nil, nil
	switch {
	case perr != nil:
		return 0, !wrote, perr
	case err != nil:
		return n, !wrote, err
	case stuck:
		// The send buffer filled: finish the write, then read as usual.
		if _, err := c.Write(out[done:]); err != nil {
			return 0, true, err
		}
		n, err = c.Read(in)
		return n, false, err
	}
	return n, false, nil
}

// writeRead is WriteRead's callback: the first call writes, the next ones
// (after the poller saw the socket readable) read.
func (k *call) writeRead(fd uintptr) bool {
	if k.wrote {
		return k.readOnce(fd)
	}
	if !k.write(fd) {
		k.stuck = true // the caller finishes with a Write
		return true
	}
	if k.err != nil {
		return true
	}
	k.wrote = true
	return false // wait for the answer
}
