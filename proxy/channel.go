package proxy

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/sluiceproxy/sluice/order"
)

// End is the proxy's side of a channel pair: Run reads requests from it and
// writes responses to it.
type End struct {
	requests  <-chan order.Request
	responses chan<- order.Response
	hub       *hub
}

// Client is the caller's side of a channel pair. Write requests to
// Requests and read responses from Responses, or use Do; not both at once,
// since Do reads Responses itself. Closing Requests stops the proxy as a
// cancelled context does. Responses is closed when Run returns.
type Client struct {
	Requests  chan<- order.Request
	Responses <-chan order.Response

	seq  atomic.Uint64
	once sync.Once
	// smu orders the sends of DoRequest, so that the waiters of one id
	// queue in the order their requests reach the proxy. mu guards the
	// fields below it; it is never held while sending.
	smu     sync.Mutex
	mu      sync.Mutex
	waiters map[string][]chan order.Response // by request id, oldest first
	closed  bool
	stopped chan struct{} // closed with closed
	hub     *hub
}

// NewChannel returns a connected client and proxy end whose channels buffer
// size messages each.
func NewChannel(size int) (*Client, *End) {
	req := make(chan order.Request, size)
	resp := make(chan order.Response, size)
	h := newHub()
	return &Client{Requests: req, Responses: resp, waiters: map[string][]chan order.Response{},
			stopped: make(chan struct{}), hub: h},
		&End{requests: req, responses: resp, hub: h}
}

// ErrStopped is returned by Do when the proxy has stopped.
var ErrStopped = errors.New("proxy: stopped")

// Do sends o with a fresh id ("do-1", "do-2", ...) and waits for its final
// response (skipping "processing" ones), or for ctx to end. It is safe for
// concurrent use. An order that gets an error answer is returned with a nil
// error: the response's Status says so.
func (c *Client) Do(ctx context.Context, o order.Order) (order.Response, error) {
	return c.DoRequest(ctx, order.Request{ID: "do-" + strconv.FormatUint(c.seq.Add(1), 10), Order: o})
}

// DoRequest is Do for a request whose id the caller chose: the proxy logs
// orders with their request's id, so a caller that relays orders (the
// command socket) passes on its clients' ids. Ids need not be unique: the
// proxy answers requests in the order it reads them, so the responses to
// requests with the same id are matched to them in the order they were
// sent.
func (c *Client) DoRequest(ctx context.Context, req order.Request) (order.Response, error) {
	c.once.Do(func() { go c.demux() }) // ends when Responses is closed
	ch := make(chan order.Response, 4)
	c.smu.Lock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.smu.Unlock()
		return order.Response{}, ErrStopped
	}
	c.waiters[req.ID] = append(c.waiters[req.ID], ch)
	c.mu.Unlock()
	var err error
	select {
	case c.Requests <- req:
	case <-ctx.Done():
		err = ctx.Err()
	case <-c.stopped:
		err = ErrStopped
	}
	if err != nil {
		// Not sent: ch is the last waiter of its id (smu is held), unless
		// the demux closed them all.
		c.mu.Lock()
		if q := c.waiters[req.ID]; len(q) > 0 && q[len(q)-1] == ch {
			c.setWaiters(req.ID, q[:len(q)-1])
		}
		c.mu.Unlock()
		c.smu.Unlock()
		return order.Response{}, err
	}
	c.smu.Unlock()
	// Sent: the demux takes ch out of the queue when the final response
	// comes, whether or not this call still waits for it.
	for {
		select {
		case r, ok := <-ch:
			if !ok {
				return order.Response{}, ErrStopped
			}
			if r.Final() {
				return r, nil
			}
		case <-ctx.Done():
			return order.Response{}, ctx.Err()
		}
	}
}

// setWaiters stores the queue of id, forgetting an empty one. c.mu is held.
func (c *Client) setWaiters(id string, q []chan order.Response) {
	if len(q) == 0 {
		delete(c.waiters, id)
		return
	}
	c.waiters[id] = q
}

// demux hands each response to the oldest DoRequest call waiting for its
// id; a final response ends that call's wait.
func (c *Client) demux() {
	for r := range c.Responses {
		c.mu.Lock()
		var ch chan order.Response
		if q := c.waiters[r.ID]; len(q) > 0 {
			ch = q[0]
			if r.Final() {
				q[0] = nil
				c.setWaiters(r.ID, q[1:])
			}
		}
		c.mu.Unlock()
		if ch != nil {
			select {
			case ch <- r:
			default: // the waiter is gone or flooded; drop
			}
		}
	}
	c.mu.Lock()
	c.closed = true
	close(c.stopped)
	for id, q := range c.waiters {
		for _, ch := range q {
			close(ch)
		}
		delete(c.waiters, id)
	}
	c.mu.Unlock()
}
