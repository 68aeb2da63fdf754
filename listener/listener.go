// Package listener accepts client connections on one address and hands each
// to a handler, within a proxy-wide bound on open connections (Slots, which
// asks a reclaimer for room when full) and, optionally, a cap per client IP
// (PerIP).
package listener

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/internal/sock"
)

// Acceptor runs the accept loop of one listening socket.
type Acceptor struct {
	ln    *net.TCPListener
	socks *Sockets        // where ln was opened; Close forgets it there
	gate  <-chan struct{} // closed when the loop may accept (see Sockets.Hold)
	sl    *sock.Listener  // set by AcceptStreams: accept Streams instead of net.TCPConns
	slots *Slots
	serve Handler
	rel   func() // a.release, bound once
	conns *sync.WaitGroup
	quit  chan struct{}
	done  chan struct{}

	// work hands a new connection to a worker waiting for one (see
	// worker); idle counts the workers waiting that no connection has
	// been promised to yet.
	work chan net.Conn
	idle atomic.Int32
}

// Workers: the goroutine that served a connection waits a while for the
// next one instead of ending, so that a new connection is served on a
// stack that has already grown to what serving takes (a fresh goroutine
// grows its stack, copying it, during its first request: a tenth of the
// CPU of a short connection). At most MaxIdleWorkers wait per Acceptor,
// each for at most WorkerIdle.
const (
	MaxIdleWorkers = 64
	WorkerIdle     = 10 * time.Second
)

// Handler serves one connection, which it owns and closes. It is called in
// a goroutine of the Acceptor's (one that served an earlier connection
// when one is idle, else a new one); it calls release exactly once, when the connection has
// closed, possibly after returning and from another goroutine (a connection
// may outlive its first goroutine while it waits without one).
type Handler func(c net.Conn, release func())

// Listen opens a listening socket for addr with socks (an inherited one
// for that address, else a new one bound to it; see Sockets) and returns
// an Acceptor that will call serve for each connection once Start is
// called (and, while socks holds its sockets, once it releases them).
// Each connection holds a slot of slots and a count in conns until it
// calls release. socks may be nil: addr is then bound.
//
// Accepted connections have TCP_NODELAY set (Go's default) and no TCP
// keep-alive probes: every connection is bounded by the proxy's idle
// timeouts instead, and the four setsockopt calls the probes cost per
// connection are saved.
func Listen(socks *Sockets, addr string, slots *Slots, conns *sync.WaitGroup, serve Handler) (*Acceptor, error) {
	ln, err := socks.Listen(addr)
	if err != nil {
		return nil, err
	}
	a := &Acceptor{ln: ln, socks: socks, gate: socks.Gate(), slots: slots, serve: serve, conns: conns,
		quit: make(chan struct{}), done: make(chan struct{}), work: make(chan net.Conn)}
	a.rel = a.release
	return a, nil
}

// AcceptStreams makes the Acceptor hand its Handler *sock.Stream
// connections, which join the runtime's poller only when they first wait
// (see sock.Stream), instead of net.TCPConns. It must be called before
// Start; it reports false where Streams are not made (then nothing
// changes). A Handler that needs a *net.TCPConn (splice) must not ask for
// it.
func (a *Acceptor) AcceptStreams() bool {
	sl, ok := sock.NewListener(a.ln)
	if ok {
		a.sl = sl
	}
	return ok
}

// IdleWorkers is the number of workers waiting for a connection now.
func (a *Acceptor) IdleWorkers() int { return int(a.idle.Load()) }

// Addr is the bound address (with the real port when 0 was asked).
func (a *Acceptor) Addr() net.Addr { return a.ln.Addr() }

// Start runs the accept loop in a goroutine owned by the Acceptor; Close
// waits for it. An Acceptor of Streams (plain HTTP, whose clients speak
// first) has the kernel hold each connection until its first bytes have
// come (sock.DeferAccept; a silent client is accepted about a second
// after it connected), so that its first read finds the request; the
// others (TLS, whose connections join the poller anyway, and tcp relays,
// whose servers may speak first) have their connections handed over at
// once.
func (a *Acceptor) Start() {
	_ = sock.DeferAccept(a.ln, a.sl != nil) // without it, connections are accepted at once: slower, not wrong
	go a.loop()
}

func (a *Acceptor) loop() {
	defer close(a.done)
	if a.gate != nil {
		select {
		case <-a.gate:
		case <-a.quit:
			return
		}
	}
	var backoff time.Duration
	for {
		// Accept, then take a slot: a full table is made room in (see
		// Slots) only for a connection that is there. Meanwhile the
		// connection waits accepted, and the next ones in the backlog.
		c, err := a.accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or similar: wait and try again.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-a.quit:
				return
			}
			continue
		}
		backoff = 0
		if !a.slots.take(a.quit) {
			c.Close()
			return
		}
		a.conns.Add(1)
		if a.claimIdle() {
			a.work <- c // the claimed worker takes it (see worker)
		} else {
			a.conns.Add(1) // the worker's own count, while it lives
			go a.worker(c)
		}
	}
}

// Handing a connection to an idle worker. idle counts the workers that
// wait and to which no connection has been promised. The accept loop
// claims one (claimIdle: idle-1) and then sends on a.work, blocking: a
// worker is bound to receive, because a worker that stops waiting
// (timeout, Close) takes itself out of idle first (leaveIdle), and when it
// finds idle at 0, every waiting worker, itself included, has been
// promised a connection, so it receives one before it goes. A connection
// thus goes to a waiting worker whenever one has counted itself idle,
// even one that has not reached its receive yet; a non-blocking send
// would find none there and start a second worker.

// claimIdle promises the next connection to an idle worker; false when
// none waits.
func (a *Acceptor) claimIdle() bool { return a.takeIdle() }

// takeIdle takes one worker out of the idle count; false when it is 0.
func (a *Acceptor) takeIdle() bool {
	for {
		n := a.idle.Load()
		if n == 0 {
			return false
		}
		if a.idle.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// enterIdle counts a worker as waiting; false when MaxIdleWorkers wait
// already (the worker then ends).
func (a *Acceptor) enterIdle() bool {
	for {
		n := a.idle.Load()
		if n >= MaxIdleWorkers {
			return false
		}
		if a.idle.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// leaveIdle takes a worker that stops waiting out of idle; false when a
// connection has been promised to every waiting worker meanwhile: the
// worker must then receive it from a.work.
func (a *Acceptor) leaveIdle() bool { return a.takeIdle() }

// accept takes the next connection.
func (a *Acceptor) accept() (net.Conn, error) {
	if a.sl == nil {
		return a.ln.Accept()
	}
	st, err := a.sl.Accept()
	if err != nil {
		return nil, err
	}
	return st, nil
}

// worker serves c, then waits for the next connection handed over by the
// accept loop, until it has waited WorkerIdle, MaxIdleWorkers others wait
// already, or the Acceptor closes. While it lives it holds a count in
// a.conns, so that waiting for the connections waits for it too.
func (a *Acceptor) worker(c net.Conn) {
	defer a.conns.Done()
	var t *time.Timer
	for {
		a.serve(c, a.rel)
		if !a.enterIdle() {
			return
		}
		if t == nil {
			t = time.NewTimer(WorkerIdle)
		} else {
			t.Reset(WorkerIdle)
		}
		select {
		case c = <-a.work: // claimed by the accept loop, which took it out of idle
			t.Stop()
			continue
		case <-t.C:
		case <-a.quit:
			t.Stop()
		}
		if a.leaveIdle() {
			return
		}
		c = <-a.work // promised before this worker could leave
	}
}

// release gives back a connection's slot and count.
func (a *Acceptor) release() {
	a.slots.give()
	a.conns.Done()
}

// Close stops accepting and waits for the accept loop to end. Connections
// already accepted are not touched; idle workers end, and busy ones end
// once their connection has been served.
func (a *Acceptor) Close() {
	close(a.quit)
	if a.sl != nil {
		a.sl.Close()
	}
	a.socks.Forget(a.ln)
	a.ln.Close()
	<-a.done
}
