package top

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// Sample is what one poll of the proxy gives.
type Sample struct {
	// Time is when the poll was answered; rates are computed over the
	// difference of two samples' Times.
	Time   time.Time
	Status order.ProxyStatus
	// Metrics holds the figures with their histogram buckets; nil when the
	// proxy keeps no metrics, MetricsOff then says why.
	Metrics    *order.MetricsContent
	MetricsOff string
	// Backends are every backend with its health, weight and live counts.
	Backends []order.BackendStatus
}

// Source gives samples. Fetch is called by one goroutine at a time; an
// error means no sample (the proxy is unreachable, or answered nonsense),
// and the next Fetch tries again.
type Source interface {
	Fetch() (Sample, error)
}

// Socket is a [Source] that polls a command socket: three queries
// (status, metrics with buckets, list_backends) on one connection, dialed
// when needed and dropped after any failure, so that a proxy that goes
// away and comes back (a restart, an upgrade) is found again. It is safe
// for concurrent use; Close ends a Fetch in progress.
type Socket struct {
	path    string
	timeout time.Duration
	now     func() time.Time

	ctx    context.Context
	cancel context.CancelFunc

	mu sync.Mutex // held for a whole Fetch
	c  *command.Client
}

// NewSocket returns a Socket for the command socket at path; each Fetch
// takes at most timeout.
func NewSocket(path string, timeout time.Duration) *Socket {
	ctx, cancel := context.WithCancel(context.Background())
	return &Socket{path: path, timeout: timeout, now: time.Now, ctx: ctx, cancel: cancel}
}

// Fetch implements Source.
func (s *Socket) Fetch() (Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ctx.Err(); err != nil {
		return Sample{}, err
	}
	if s.c == nil {
		c, err := command.Dial(s.path)
		if err != nil {
			return Sample{}, err
		}
		s.c = c
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	smp, err := s.poll(ctx)
	if err != nil {
		s.c.Close()
		s.c = nil
		return Sample{}, err
	}
	return smp, nil
}

func (s *Socket) poll(ctx context.Context) (Sample, error) {
	var smp Sample
	st, err := s.ask(ctx, order.Status{})
	if err != nil {
		return smp, err
	}
	if st.Status == nil {
		return smp, errors.New("status: an answer without status")
	}
	smp.Status = *st.Status
	resp, err := s.c.Do(ctx, order.Metrics{Buckets: true}, nil)
	switch {
	case err != nil:
		return smp, fmt.Errorf("metrics: %w", err)
	case resp.Status == order.StatusError:
		smp.MetricsOff = resp.Message // a proxy without metrics
	case resp.Content == nil || resp.Content.Metrics == nil:
		smp.Metrics = &order.MetricsContent{} // nothing registered yet
	default:
		smp.Metrics = resp.Content.Metrics
	}
	bs, err := s.ask(ctx, order.ListBackends{})
	if err != nil {
		return smp, err
	}
	smp.Backends = bs.Backends
	smp.Time = s.now()
	return smp, nil
}

// ask sends a query that must be answered ok.
func (s *Socket) ask(ctx context.Context, o order.Order) (order.Content, error) {
	resp, err := s.c.Do(ctx, o, nil)
	if err != nil {
		return order.Content{}, fmt.Errorf("%s: %w", o.Kind(), err)
	}
	if resp.Status == order.StatusError {
		return order.Content{}, fmt.Errorf("%s: %s", o.Kind(), resp.Message)
	}
	if resp.Content == nil {
		return order.Content{}, nil
	}
	return *resp.Content, nil
}

// Close ends a Fetch in progress and closes the connection; later Fetches
// fail.
func (s *Socket) Close() error {
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
	return nil
}
