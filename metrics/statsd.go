package metrics

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// StatsdConfig configures a [Statsd] emitter.
type StatsdConfig struct {
	// Address is the statsd server's host:port (UDP). Required.
	Address string
	// Prefix starts every metric name; default "sluice".
	Prefix string
	// Interval is the time between flushes; default 10s.
	Interval time.Duration
}

// DefaultStatsdInterval is the default StatsdConfig.Interval.
const DefaultStatsdInterval = 10 * time.Second

// maxPacket bounds a datagram: lines are batched, newline-separated, into
// datagrams that fit a 1500-byte Ethernet MTU with IP and UDP headers.
const maxPacket = 1432

// Statsd sends the registry's sets to a statsd server over UDP every
// interval, from one goroutine that Close stops.
//
// Names are <prefix>.listener.<address>.<metric>, <prefix>.cluster.<id>.<metric>
// and <prefix>.backend.<cluster>.<backend>.<metric>, where every character of
// an address or id other than a letter, a digit, '-' or '_' becomes '_'
// (so "127.0.0.1:8080" is sent as "127_0_0_1_8080"; ids that differ only
// there share a name). Metrics are sent as:
//
//   - counters: the increase since the previous flush, "|c", omitted when 0;
//   - gauges: the current value, "|g", at every flush;
//   - histograms, when the interval had observations: <metric>.count (|c),
//     <metric>.sum_ms (|c, whole milliseconds, so no fraction is lost across
//     flushes) and <metric>.p50_ms, <metric>.p99_ms (|g): the quantiles of
//     the interval's observations, estimated from the bucket counts of the
//     interval by linear interpolation inside a bucket (see
//     [HistogramSnapshot.Quantile]).
//
// A set registered since the previous flush sends its counts since it was
// registered; a removed set sends nothing more. A failed send is counted
// (SendErrors) and its lines are lost; counting never waits for statsd.
type Statsd struct {
	reg      *Registry
	conn     net.Conn
	prefix   string
	interval time.Duration
	errs     atomic.Int64

	mu     sync.Mutex // serializes flushes; guards what follows
	prev   map[any]*prevSet
	packet []byte
	closed bool

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// prevSet holds what a set had at the previous flush.
type prevSet struct {
	counters []int64
	hists    []HistogramSnapshot
}

// NewStatsd connects a UDP socket to cfg.Address and starts the flushing
// goroutine.
func NewStatsd(r *Registry, cfg StatsdConfig) (*Statsd, error) {
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, fmt.Errorf("metrics: statsd address %q: %w", cfg.Address, err)
	}
	if cfg.Interval < 0 {
		return nil, errors.New("metrics: statsd interval is negative")
	}
	conn, err := net.Dial("udp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("metrics: statsd dial %s: %w", cfg.Address, err)
	}
	s := &Statsd{
		reg:      r,
		conn:     conn,
		prefix:   cfg.Prefix,
		interval: cfg.Interval,
		prev:     map[any]*prevSet{},
		packet:   make([]byte, 0, maxPacket),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.prefix == "" {
		s.prefix = "sluice"
	}
	if s.interval == 0 {
		s.interval = DefaultStatsdInterval
	}
	go s.run()
	return s, nil
}

func (s *Statsd) run() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.Flush()
		case <-s.stop:
			return
		}
	}
}

// SendErrors is the number of datagrams that could not be sent.
func (s *Statsd) SendErrors() int64 { return s.errs.Load() }

// Close stops the flushing goroutine and waits for it, flushes one last
// time and closes the socket. Later calls do nothing.
func (s *Statsd) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.Flush()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if cerr := s.conn.Close(); cerr != nil {
			err = fmt.Errorf("metrics: close statsd socket: %w", cerr)
		}
	})
	return err
}

// Flush sends what changed since the previous flush now. It is safe to call
// at any time; after Close it does nothing.
func (s *Statsd) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	ls, cs, bs := s.reg.contents()
	next := make(map[any]*prevSet, len(ls)+len(cs)+len(bs))
	for _, e := range ls {
		next[e.set] = s.emit(s.prefix+".listener."+sanitize(e.key), listenerView(e.set), s.prev[e.set])
	}
	for _, e := range cs {
		next[e.set] = s.emit(s.prefix+".cluster."+sanitize(e.key), clusterView(e.set), s.prev[e.set])
	}
	for _, e := range bs {
		name := s.prefix + ".backend." + sanitize(e.key.Cluster) + "." + sanitize(e.key.Backend)
		next[e.set] = s.emit(name, backendView(e.set), s.prev[e.set])
	}
	s.prev = next
	s.send()
}

// emit writes the lines of one set and returns what it had.
func (s *Statsd) emit(base string, v view, prev *prevSet) *prevSet {
	cur := &prevSet{counters: make([]int64, len(v.counters)), hists: make([]HistogramSnapshot, len(v.hists))}
	for i, c := range v.counters {
		cur.counters[i] = c.c.Load()
		var before int64
		if prev != nil {
			before = prev.counters[i]
		}
		if d := cur.counters[i] - before; d > 0 {
			s.line(base, c.name, "", d, "|c")
		}
	}
	for _, g := range v.gauges {
		n := g.g.Load()
		if n < 0 {
			// A signed gauge value is a relative change in statsd: set 0
			// first, then subtract.
			s.line(base, g.name, "", 0, "|g")
		}
		s.line(base, g.name, "", n, "|g")
	}
	for i, h := range v.hists {
		cur.hists[i] = h.h.Snapshot()
		var before HistogramSnapshot
		if prev != nil {
			before = prev.hists[i]
		}
		d := cur.hists[i].Sub(&before)
		n := d.Count()
		if n <= 0 {
			continue
		}
		s.line(base, h.name, ".count", n, "|c")
		s.line(base, h.name, ".sum_ms", cur.hists[i].SumMicros/1000-before.SumMicros/1000, "|c")
		s.floatLine(base, h.name, ".p50_ms", d.Quantile(0.50))
		s.floatLine(base, h.name, ".p99_ms", d.Quantile(0.99))
	}
	return cur
}
