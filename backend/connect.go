package backend

import (
	"context"
	"time"
)

// DefaultAttempts bounds the backends Connect tries for one request.
const DefaultAttempts = 3

// Dial says how Cluster.Connect gets a backend connection for one request.
// The request paths (HTTP/1.1, HTTP/2 streams, tcp) fill one per request; a
// caller may keep one and refill it, so that connecting allocates nothing.
type Dial struct {
	// Reuse allows a pooled connection: the request can be sent again if
	// that connection turns out dead (see the session's replay).
	Reuse bool
	// Sticky is the request's sticky-session cookie value, or nil: the
	// backend it names is tried first while it is usable.
	Sticky []byte
	// Avoid is a backend not to pick first (one a replay just failed on).
	Avoid *Backend
	// Timeout bounds each connect.
	Timeout time.Duration
	// IdleTimeout: pooled connections idle for longer are not used.
	IdleTimeout time.Duration
	// Now is the caller's clock reading, by which the first attempt
	// judges a pooled connection's idle time (the caller has one, and a
	// reading costs); zero: Connect takes its own. Later attempts take a
	// fresh one (the failed connects took time).
	Now time.Time
	// Prepare, when set, runs on each new connection before it is handed
	// out (it writes a PROXY protocol header); its error closes the
	// connection and counts as a failed attempt of this request (the
	// backend's health is not touched: its connect worked).
	Prepare func(*Conn) error
	// Failed, when set, is told of each failed attempt (to log it).
	Failed func(b *Backend, err error)
	// Retried, when set, is told of each attempt that failed and led to
	// another (to count it).
	Retried func(b *Backend)
	// Attempts bounds the backends tried; default DefaultAttempts.
	Attempts int

	// Hash is the hash of the request's key (HashKey) for a maglev
	// cluster, when Hashed is set.
	Hash   uint64
	Hashed bool

	// Err is set by Connect to the error of its last failed attempt (nil
	// when none failed): a caller that got no connection tells a TLS
	// failure (ErrHandshake) from no backend.
	Err error
}

// Connect picks a backend (the sticky one first, then by the cluster's
// algorithm) and returns a connection to it: a pooled one when d.Reuse
// allows and the backend is not on trial, else a new one. A failed
// attempt is made again on another backend, up to d.Attempts; nothing of
// the request has been sent then, so this is safe for every request. It
// returns nil when no backend is usable or every attempt failed.
func (c *Cluster) Connect(ctx context.Context, d *Dial) *Conn {
	attempts := d.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	skip := d.Avoid
	d.Err = nil
	for attempt := range attempts {
		var b *Backend
		var trial bool
		if attempt == 0 && d.Sticky != nil {
			b, trial = c.PickSticky(d.Sticky)
		}
		if b == nil {
			b, trial = c.PickHash(skip, d.Hash, d.Hashed)
		}
		if b == nil {
			return nil
		}
		if d.Reuse && !trial {
			now := d.Now
			if attempt > 0 || now.IsZero() {
				now = time.Now()
			}
			if bc := b.GetIdle(now, d.IdleTimeout); bc != nil {
				return bc
			}
		}
		bc, err := b.connect(ctx, d.Timeout)
		if err == nil && d.Prepare != nil {
			if err = d.Prepare(bc); err != nil {
				bc.Close()
			}
		}
		if err == nil {
			err = b.secure(ctx, bc, d.Timeout) // after a PROXY header, which goes in the clear
		}
		if err == nil {
			return bc
		}
		d.Err = err
		if d.Failed != nil {
			d.Failed(b, err)
		}
		if d.Retried != nil && attempt+1 < attempts {
			d.Retried(b)
		}
		if ctx.Err() != nil {
			return nil
		}
		skip = b
	}
	return nil
}
