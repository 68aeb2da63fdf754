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

	seq     atomic.Uint64
	once    sync.Once
	mu      sync.Mutex
	waiters map[string]chan order.Response
	closed  bool
	hub     *hub
}

// NewChannel returns a connected client and proxy end whose channels buffer
// size messages each.
func NewChannel(size int) (*Client, *End) {
	req := make(chan order.Request, size)
	resp := make(chan order.Response, size)
	h := newHub()
	return &Client{Requests: req, Responses: resp, waiters: map[string]chan order.Response{}, hub: h},
		&End{requests: req, responses: resp, hub: h}
}

// ErrStopped is returned by Do when the proxy has stopped.
var ErrStopped = errors.New("proxy: stopped")

// Do sends o with a fresh id and waits for its final response (skipping
// "processing" ones), or for ctx to end. It is safe for concurrent use. An
// order that gets an error answer is returned with a nil error: the
// response's Status says so.
func (c *Client) Do(ctx context.Context, o order.Order) (order.Response, error) {
	c.once.Do(func() { go c.demux() }) // ends when Responses is closed
	id := "do-" + strconv.FormatUint(c.seq.Add(1), 10)
	ch := make(chan order.Response, 4)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return order.Response{}, ErrStopped
	}
	c.waiters[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, id)
		c.mu.Unlock()
	}()
	select {
	case c.Requests <- order.Request{ID: id, Order: o}:
	case <-ctx.Done():
		return order.Response{}, ctx.Err()
	}
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

// demux hands each response to the Do call waiting for its id.
func (c *Client) demux() {
	for r := range c.Responses {
		c.mu.Lock()
		ch := c.waiters[r.ID]
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
	for id, ch := range c.waiters {
		close(ch)
		delete(c.waiters, id)
	}
	c.mu.Unlock()
}
