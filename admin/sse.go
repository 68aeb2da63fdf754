package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
)

// heartbeat is how often an idle stream sends a comment line, so that
// intermediaries keep it open and a client that went away is noticed.
const heartbeat = 15 * time.Second

// message is one Server-Sent Event: data is one line of JSON; event is
// empty for the stream's own messages ("message" for EventSource), "end"
// for the last one when the server ends the stream.
type message struct {
	event string
	data  []byte
}

// stream serves a Server-Sent Events response. produce runs on a
// goroutine the request owns (waited for before the request ends) and
// hands messages to send, which never blocks: it queues at most
// StreamBuffer of them, and when the queue is full the client is too slow
// and the stream ends (send returns false). The request's goroutine
// writes the queue out, each write bounded by WriteTimeout. The stream
// ends when the client goes away, when produce returns (after its last
// messages are written), or when the server closes.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, produce func(ctx context.Context, send func(message) bool)) {
	if n := s.streams.Add(1); n > int64(s.cfg.MaxStreams) {
		s.streams.Add(-1)
		writeError(w, http.StatusServiceUnavailable, order.CodeUnavailable,
			fmt.Sprintf("%d streams are open, the most this server serves at once", s.cfg.MaxStreams))
		return
	}
	defer s.streams.Add(-1)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{}) // the server's ReadTimeout is for request bodies, not streams
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "close") // a stream's end, a dropped client's included, closes the connection
	w.WriteHeader(http.StatusOK)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	queue := make(chan message, s.cfg.StreamBuffer)
	var slow atomic.Bool
	send := func(m message) bool {
		select {
		case queue <- m:
			return true
		default:
			slow.Store(true) // too slow: dropped
			cancel()
			return false
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		produce(ctx, send)
	}()
	defer func() { cancel(); <-done }()

	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte(": sluice admin stream\n\n")) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	var seq uint64
	for {
		select {
		case m := <-queue:
			seq++
			b := make([]byte, 0, len(m.data)+32)
			if m.event != "" {
				b = append(append(append(b, "event: "...), m.event...), '\n')
			}
			b = append(append(b, "id: "...), strconv.FormatUint(seq, 10)...)
			b = append(append(append(b, "\ndata: "...), m.data...), "\n\n"...)
			if !write(b) {
				return
			}
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case <-ctx.Done():
			// Write what produce queued before it ended (its last
			// message says why), unless the client is gone or too slow.
			if r.Context().Err() != nil || slow.Load() {
				return
			}
			for {
				select {
				case m := <-queue:
					seq++
					if !write(fmt.Appendf(nil, "event: %s\nid: %d\ndata: %s\n\n", or(m.event, "message"), seq, m.data)) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// end is the last message of a stream the server ends: the final answer
// of its order.
func end(resp order.Response) message {
	b, _ := json.Marshal(resp)
	return message{event: "end", data: b}
}

// serveEvents streams the proxy's events: a subscribe_events order
// through the handler, each event one message.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		writeError(w, http.StatusBadRequest, order.CodeInvalid, "invalid request: this route takes no query parameter")
		return
	}
	id := s.requestID(w, r)
	s.stream(w, r, func(ctx context.Context, send func(message) bool) {
		resp := s.cfg.Handler(ctx, order.Request{ID: id, Order: order.SubscribeEvents{}},
			func(msg string, c *order.Content) {
				switch {
				case c != nil && c.Event != nil:
					b, _ := json.Marshal(c.Event)
					send(message{data: b})
				case msg != "": // "subscribed to events": what follows is seen
					b, _ := json.Marshal(order.Response{ID: id, Status: order.StatusProcessing, Message: msg})
					send(message{event: "progress", data: b})
				}
			})
		if ctx.Err() == nil {
			resp.ID = id
			send(end(resp))
		}
	})
}

// serveMetricsStream streams a summary of the metrics every
// StreamInterval (metrics.Rates of two metrics orders with buckets).
func (s *Server) serveMetricsStream(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		writeError(w, http.StatusBadRequest, order.CodeInvalid, "invalid request: this route takes no query parameter")
		return
	}
	id := s.requestID(w, r)
	sample := func(ctx context.Context) (*order.MetricsContent, order.Response) {
		resp := s.cfg.Handler(ctx, order.Request{ID: id, Order: order.Metrics{Buckets: true}}, func(string, *order.Content) {})
		if resp.Status != order.StatusOK || resp.Content == nil || resp.Content.Metrics == nil {
			resp.ID = id
			return nil, resp
		}
		return resp.Content.Metrics, resp
	}
	// The first sample is taken before the answer begins, so that a
	// proxy without metrics is answered with an error status.
	prev, resp := sample(r.Context())
	if prev == nil {
		s.answer(w, resp)
		return
	}
	last := time.Now()
	s.stream(w, r, func(ctx context.Context, send func(message) bool) {
		t := time.NewTicker(s.cfg.StreamInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				cur, resp := sample(ctx)
				if cur == nil {
					if ctx.Err() == nil {
						send(end(resp))
					}
					return
				}
				b, _ := json.Marshal(metrics.Rates(prev, cur, now.Sub(last), now))
				if !send(message{data: b}) {
					return
				}
				prev, last = cur, now
			}
		}
	})
}
