package tracing

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Stats are the spans' counts since the Tracer started.
type Stats struct {
	// Exported spans reached the collector; Dropped found the queue full
	// (or the tracer shut down); Failed were in a batch the exporter
	// could not send.
	Exported, Dropped, Failed int64
}

// queue is the span processor between ended spans and the exporter: a
// bounded channel and one goroutine that exports in batches. A span that
// finds the channel full is dropped and counted; the request that ended
// it never waits.
type queue struct {
	exp      sdktrace.SpanExporter
	ch       chan sdktrace.ReadOnlySpan
	batch    int
	every    time.Duration
	timeout  time.Duration
	onErr    func(error)
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	closed   atomic.Bool

	exported, dropped, failed atomic.Int64
}

func newQueue(exp sdktrace.SpanExporter, c Config, onErr func(error)) *queue {
	q := &queue{exp: exp, ch: make(chan sdktrace.ReadOnlySpan, c.QueueSize), batch: c.BatchSize,
		every: c.BatchTimeout, timeout: c.ExportTimeout, onErr: onErr,
		stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// OnStart does nothing: spans are queued when they end.
func (q *queue) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues s, or drops it when the queue is full or shut down.
func (q *queue) OnEnd(s sdktrace.ReadOnlySpan) {
	if q.closed.Load() {
		q.dropped.Add(1)
		return
	}
	select {
	case q.ch <- s:
	default:
		q.dropped.Add(1)
	}
}

// run exports batches until stop, then what is queued.
func (q *queue) run() {
	defer close(q.done)
	buf := make([]sdktrace.ReadOnlySpan, 0, q.batch)
	t := time.NewTimer(q.every)
	defer t.Stop()
	for {
		select {
		case s := <-q.ch:
			if buf = append(buf, s); len(buf) == q.batch {
				buf = q.export(buf)
			}
		case <-t.C:
			buf = q.export(buf)
			t.Reset(q.every)
		case <-q.stop:
			for {
				select {
				case s := <-q.ch:
					if buf = append(buf, s); len(buf) == q.batch {
						buf = q.export(buf)
					}
				default:
					q.export(buf)
					return
				}
			}
		}
	}
}

// export sends buf (when not empty) and returns it emptied.
func (q *queue) export(buf []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	if len(buf) == 0 {
		return buf
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	err := q.exp.ExportSpans(ctx, buf)
	cancel()
	if err != nil {
		q.failed.Add(int64(len(buf)))
		if q.onErr != nil {
			q.onErr(err)
		}
	} else {
		q.exported.Add(int64(len(buf)))
	}
	clear(buf)
	return buf[:0]
}

// Shutdown exports what is queued (within ctx) and shuts the exporter
// down; spans that end after it are dropped.
func (q *queue) Shutdown(ctx context.Context) error {
	q.stopOnce.Do(func() {
		q.closed.Store(true)
		close(q.stop)
	})
	select {
	case <-q.done:
	case <-ctx.Done():
		// The goroutine ends when its export times out.
		return ctx.Err()
	}
	return q.exp.Shutdown(ctx)
}

// ForceFlush does nothing more than the batch timer: spans go out within
// BatchTimeout.
func (q *queue) ForceFlush(context.Context) error { return nil }

func (q *queue) stats() Stats {
	return Stats{Exported: q.exported.Load(), Dropped: q.dropped.Load(), Failed: q.failed.Load()}
}
