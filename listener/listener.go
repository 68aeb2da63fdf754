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
	"time"

	"github.com/sluiceproxy/sluice/internal/sock"
	"github.com/sluiceproxy/sluice/internal/workers"
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

	// workers are the goroutines that served a connection and wait for
	// the next (see worker); the accept loop hands them connections and
	// retires those not needed (see tick).
	workers *workers.Pool[net.Conn]
	// workerIdle is WorkerIdle (shorter in tests).
	workerIdle time.Duration
}

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
		quit: make(chan struct{}), done: make(chan struct{}), workers: workers.New[net.Conn](MaxIdleWorkers),
		workerIdle: WorkerIdle}
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
func (a *Acceptor) IdleWorkers() int { return a.workers.Idle() }

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
	defer a.workers.Close() // and those still serving end after their connection
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
				a.workers.Retire()
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
		if !a.workers.Hand(c) {
			a.conns.Add(1) // the worker's own count, while it lives
			go a.worker(c)
		}
	}
}

// tick arms the accept loop's next tick, workerIdle from now (the
// deadline of its accept), when it retires the workers not needed since
// the last one (workers.Pool.Retire).
func (a *Acceptor) tick() {
	t := time.Now().Add(a.workerIdle)
	if a.sl != nil {
		_ = a.sl.SetDeadline(t)
	} else {
		_ = a.ln.SetDeadline(t)
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
		var ok bool
		if c, ok = a.workers.Wait(nil); !ok {
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
