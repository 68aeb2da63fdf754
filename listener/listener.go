// Package listener accepts client connections on one address and hands each
// to a handler, within a proxy-wide bound on open connections.
package listener

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// Slots bounds the client connections open at once across listeners: a
// listener takes a slot before accepting and the connection's handler gives
// it back when the connection ends. When no slot is free, accepting pauses
// and the kernel's backlog holds new connections.
type Slots chan struct{}

// NewSlots returns room for n connections.
func NewSlots(n int) Slots { return make(Slots, n) }

// Acceptor runs the accept loop of one listening socket.
type Acceptor struct {
	ln    net.Listener
	slots Slots
	serve func(net.Conn) // called in a new goroutine per connection
	conns *sync.WaitGroup
	quit  chan struct{}
	done  chan struct{}
}

// Listen binds addr (TCP) and returns an Acceptor that will call serve for
// each connection, in a goroutine counted in conns, once Start is called.
// The connection's slot is released when serve returns; serve owns and
// closes the connection.
//
// Accepted connections have TCP_NODELAY set (Go's default) and no TCP
// keep-alive probes: every connection is bounded by the proxy's idle
// timeouts instead, and the four setsockopt calls the probes cost per
// connection are saved.
func Listen(addr string, slots Slots, conns *sync.WaitGroup, serve func(net.Conn)) (*Acceptor, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Acceptor{ln: ln, slots: slots, serve: serve, conns: conns,
		quit: make(chan struct{}), done: make(chan struct{})}, nil
}

// Addr is the bound address (with the real port when 0 was asked).
func (a *Acceptor) Addr() net.Addr { return a.ln.Addr() }

// Start runs the accept loop in a goroutine owned by the Acceptor; Close
// waits for it.
func (a *Acceptor) Start() { go a.loop() }

func (a *Acceptor) loop() {
	defer close(a.done)
	var backoff time.Duration
	for {
		select {
		case a.slots <- struct{}{}:
		case <-a.quit:
			return
		}
		c, err := a.ln.Accept()
		if err != nil {
			<-a.slots
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
		a.conns.Add(1)
		go func() {
			defer a.conns.Done()
			defer func() { <-a.slots }()
			a.serve(c)
		}()
	}
}

// Close stops accepting and waits for the accept loop to end. Connections
// already accepted are not touched.
func (a *Acceptor) Close() {
	close(a.quit)
	a.ln.Close()
	<-a.done
}
