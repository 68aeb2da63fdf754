package metrics

import "sync/atomic"

// Counter is a count that only grows, such as requests served or bytes sent.
// The zero value is zero and ready to use; a Counter must not be copied after
// first use. Its methods are safe for concurrent use, take no lock and
// allocate nothing.
type Counter struct{ v atomic.Int64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n, which must not be negative: exports treat a counter that goes
// down as a restart.
func (c *Counter) Add(n int64) { c.v.Add(n) }

// Load returns the current count.
func (c *Counter) Load() int64 { return c.v.Load() }

// Gauge is a value that goes up and down, such as open connections. The zero
// value is zero and ready to use; a Gauge must not be copied after first use.
// Its methods are safe for concurrent use, take no lock and allocate nothing.
type Gauge struct{ v atomic.Int64 }

// Inc adds one.
func (g *Gauge) Inc() { g.v.Add(1) }

// Dec subtracts one.
func (g *Gauge) Dec() { g.v.Add(-1) }

// Add adds n, which may be negative.
func (g *Gauge) Add(n int64) { g.v.Add(n) }

// Set replaces the value.
func (g *Gauge) Set(n int64) { g.v.Store(n) }

// Load returns the current value.
func (g *Gauge) Load() int64 { return g.v.Load() }
