package proxy

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/sluiceproxy/sluice/order"
)

// hub fans the proxy's events out to subscribers. Publishing never blocks:
// a subscriber whose buffer is full misses the event, which is counted.
type hub struct {
	mu      sync.Mutex
	subs    map[chan order.Event]struct{}
	closed  bool
	dropped atomic.Int64
}

func newHub() *hub { return &hub{subs: map[chan order.Event]struct{}{}} }

// publish sends ev to every subscriber that has room.
func (h *hub) publish(ev order.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
			h.dropped.Add(1)
		}
	}
}

// subscribe returns a channel of events buffering size of them, closed
// when ctx ends or the proxy stops.
func (h *hub) subscribe(ctx context.Context, size int) <-chan order.Event {
	ch := make(chan order.Event, size)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch
	}
	h.subs[ch] = struct{}{}
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	})
	return ch
}

// close ends every subscription; later ones end at once.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// Subscribe returns the proxy's events (backend up and down, removed
// backends drained, clusters without usable backends and recovered), as
// they happen, until ctx ends or the proxy stops; then the channel is
// closed. Up to 256 events wait for a slow reader; beyond that, events are
// dropped for it. Events before the call are not replayed.
func (c *Client) Subscribe(ctx context.Context) <-chan order.Event {
	return c.hub.subscribe(ctx, 256)
}

// Publish sends ev to the proxy's event subscribers, as the proxy's own
// events are: for what the composition root around the proxy reports
// (fleet mode's refusals and outages). It never blocks.
func (c *Client) Publish(ev order.Event) {
	if ev.Time == "" {
		ev.Time = eventTime()
	}
	c.hub.publish(ev)
}
