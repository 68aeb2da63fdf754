package command

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// Handler serves one order and returns its final response, whose Status must
// be ok or error (anything else is sent as an error); the server sets the
// response's ID. progress sends a "processing" response: call it any number
// of times before returning, from any goroutine; calls after the handler has
// returned are ignored. Handlers run on the connection's
// goroutine, one at a time per connection. ctx ends when the server closes or
// the client disconnects. A handler that panics gets an error answer and the
// connection goes on.
type Handler func(ctx context.Context, o order.Order, progress Progress) order.Response

// Progress sends a "processing" response with a message, a content (an
// event, say), or both; either may be empty.
type Progress func(message string, content *order.Content)

// DefaultMaxLineBytes is the default of [Server.MaxLineBytes]: 1 MiB.
const DefaultMaxLineBytes = 1 << 20

// DefaultWriteTimeout is the default of [Server.WriteTimeout].
const DefaultWriteTimeout = 10 * time.Second

// closeWriteGrace bounds a write once Close has begun.
const closeWriteGrace = time.Second

// Server serves a command socket. Create it with [Listen], run [Server.Serve],
// stop it with [Server.Close].
type Server struct {
	// MaxLineBytes bounds one request line, newline not counted; a longer
	// line gets an error answer. Zero means DefaultMaxLineBytes. Set it
	// before Serve.
	MaxLineBytes int
	// WriteTimeout bounds how long writing one response may block on a
	// client that does not read; the client is then disconnected. Zero
	// means DefaultWriteTimeout. Set it before Serve.
	WriteTimeout time.Duration

	path string
	info os.FileInfo // the socket file we created, to remove only ours
	ln   *net.UnixListener

	ctx    context.Context // ends on Close; parent of every connection's
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	detached bool // see Detach: the path is another process's now
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup // connection goroutines

	closeOnce sync.Once
	closeErr  error
}

// Path returns the path of the socket.
func (s *Server) Path() string { return s.path }

// Serve accepts connections and serves each on its own goroutine with h
// until Close; it returns nil after Close, or the error that stopped it
// accepting. Call it once.
func (s *Server) Serve(h Handler) error {
	if h == nil {
		return errors.New("command: Serve with a nil handler")
	}
	var backoff time.Duration
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if s.isClosed() || s.isDetached() {
				return nil
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
				errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) {
				// Out of descriptors or memory: wait and retry, as
				// net/http does, rather than stop serving orders.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
				case <-s.ctx.Done():
				}
				continue
			}
			return err
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			return nil
		}
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.serveConn(s.ctx, c, h)
		}()
	}
}

// track registers c and counts its goroutine, unless the server is closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

func (s *Server) isDetached() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.detached
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops accepting, cancels the context of running handlers and stops
// reading from every connection. Each running handler's final answer is
// still written (within closeWriteGrace, for clients that do not read);
// then every connection is closed. Close waits for the connections'
// goroutines, so for running handlers to return, and removes the socket file
// if it is still the one Listen created (or Inherit took), unless the
// server was detached. Calling it again returns the first
// call's result. A handler must not call Close itself, since Close would
// wait for it; a "shutdown" handler may start it on another goroutine and
// return, and its answer is still sent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.cancel() // under mu: connections tracked later see it at once
		now := time.Now()
		for c := range s.conns {
			c.SetReadDeadline(now) // unblocks an idle connection's read
			c.SetWriteDeadline(now.Add(closeWriteGrace))
		}
		s.mu.Unlock()
		err := s.ln.Close()
		if s.isDetached() {
			err = nil // closed by Detach already
		}
		s.wg.Wait()
		if fi, serr := os.Lstat(s.path); serr == nil && os.SameFile(fi, s.info) && !s.isDetached() {
			if rerr := os.Remove(s.path); rerr != nil && err == nil {
				err = rerr
			}
		}
		s.closeErr = err
	})
	return s.closeErr
}
