// Package listener accepts client connections on one address and hands each
// to a handler, within a proxy-wide bound on open connections (Slots, which
// asks a reclaimer for room when full) and, optionally, a cap per client IP
// (PerIP).
package listener

import (
	"errors"
	"net"
	"os"
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
	// worker), or nil to make it end; idle counts the workers waiting
	// that nothing has been promised to yet, or is closedIdle once the
	// accept loop has ended.
	work chan net.Conn
	idle atomic.Int32
	// workerIdle is WorkerIdle (shorter in tests). lowIdle, the accept
	// loop's own, is the fewest idle workers seen since its last tick:
	// so many were not needed for a whole workerIdle.
	workerIdle time.Duration
	lowIdle    int32
}

// closedIdle is idle once the accept loop has ended: no worker waits
// any more.
const closedIdle = -1 << 30

// Workers: the goroutine that served a connection waits a while for the
// next one instead of ending, so that a new connection is served on a
// stack that has already grown to what serving takes (a fresh goroutine
// grows its stack, copying it, during its first request: a tenth of the
// CPU of a short connection). At most MaxIdleWorkers wait per Acceptor.
// Every WorkerIdle the accept loop ends as many waiting workers as were
// never all needed since the last time (the fewest that waited at once):
// a worker left over from a burst ends within two WorkerIdle. A worker
// waits on a plain channel receive, with no timer of its own to reset
// per connection.
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
		quit: make(chan struct{}), done: make(chan struct{}), work: make(chan net.Conn), workerIdle: WorkerIdle}
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
func (a *Acceptor) IdleWorkers() int { return int(max(a.idle.Load(), 0)) }

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
	defer a.endWorkers()
	if a.gate != nil {
		select {
		case <-a.gate:
		case <-a.quit:
			return
		}
	}
	var backoff time.Duration
	a.tick()
	for {
		// Accept, then take a slot: a full table is made room in (see
		// Slots) only for a connection that is there. Meanwhile the
		// connection waits accepted, and the next ones in the backlog.
		c, err := a.accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				a.retireIdle()
				a.tick()
				continue
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
		a.lowIdle = min(a.lowIdle, max(a.idle.Load(), 0))
	}
}

// Handing a connection to an idle worker. idle counts the workers that
// wait and to which nothing has been promised. The accept loop claims one
// (claimIdle: idle-1) and then sends on a.work, blocking: a worker that
// has counted itself idle is bound to receive, since only the accept loop
// takes it out of idle again (to hand it a connection, or nil to make it
// end). When the loop ends it swaps idle for closedIdle and sends nil to
// every worker that was counted; a worker that finishes a connection
// later finds idle closed and ends.

// claimIdle promises the next connection to an idle worker; false when
// none waits.
func (a *Acceptor) claimIdle() bool {
	for {
		n := a.idle.Load()
		if n <= 0 {
			return false
		}
		if a.idle.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// enterIdle counts a worker as waiting; false when MaxIdleWorkers wait
// already or the accept loop has ended (the worker then ends).
func (a *Acceptor) enterIdle() bool {
	for {
		n := a.idle.Load()
		if n < 0 || n >= MaxIdleWorkers {
			return false
		}
		if a.idle.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// tick arms the accept loop's next tick, workerIdle from now (the
// deadline of its accept), and starts a new count of the fewest idle
// workers.
func (a *Acceptor) tick() {
	a.lowIdle = max(a.idle.Load(), 0)
	t := time.Now().Add(a.workerIdle)
	if a.sl != nil {
		_ = a.sl.SetDeadline(t)
	} else {
		_ = a.ln.SetDeadline(t)
	}
}

// retireIdle ends the workers that waited through the whole period since
// the last tick: as many as the fewest that waited at once.
func (a *Acceptor) retireIdle() {
	for range a.lowIdle {
		if !a.claimIdle() {
			return
		}
		a.work <- nil
	}
}

// endWorkers ends every waiting worker, once the accept loop has ended,
// and keeps those still serving from waiting after their connection.
func (a *Acceptor) endWorkers() {
	n := a.idle.Swap(closedIdle)
	for range n {
		a.work <- nil
	}
}

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
// accept loop, until it is told to end (it waited a whole WorkerIdle or
// the Acceptor closed) or MaxIdleWorkers others wait already. While it
// lives it holds a count in a.conns, so that waiting for the connections
// waits for it too.
func (a *Acceptor) worker(c net.Conn) {
	defer a.conns.Done()
	for {
		a.serve(c, a.rel)
		if !a.enterIdle() {
			return
		}
		if c = <-a.work; c == nil { // the accept loop took it out of idle
			return
		}
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
