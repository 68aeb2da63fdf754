package session

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/internal/park"
)

// Env is what every HTTP/1.1 session of a proxy shares: the exchange
// pipeline's environment, the idle-connection poller and the sessions'
// counters. Its methods are safe for concurrent use.
type Env struct {
	X   *exchange.Env
	Log *slog.Logger
	// ParkAfter is how long a client connection waits for its next request
	// in its own goroutine before it parks in the poller and lets the
	// goroutine (and its stack) go. Parking and waking cost a few
	// microseconds; a goroutine's stack costs 4 KiB or more. Default
	// DefaultParkAfter; negative never parks. Set before serving.
	ParkAfter time.Duration
	// LingerMax bounds the sessions that wait for a next request in their
	// goroutine for up to ParkAfter: beyond it, a session waits 10 ms and
	// then parks. Clients that pause briefly are served without
	// parking, and a crowd of connections gone idle at once holds at most
	// LingerMax stacks for long. Default DefaultLingerMax. Set before
	// serving.
	LingerMax int32

	// Counters, read by status queries.
	Panics atomic.Int64
	Active atomic.Int64 // open client connections
	// Parks counts connections handed to the poller.
	Parks atomic.Int64

	lingering atomic.Int32 // sessions waiting for up to ParkAfter
	park      *park.Poller // nil where parking is unsupported
	heads     sync.Pool    // *heads
	works     sync.Pool    // *work
}

// DefaultLingerMax is the default Env.LingerMax.
const DefaultLingerMax = 256

// DefaultParkAfter is the default Env.ParkAfter: clients that pause longer
// than this between requests park.
const DefaultParkAfter = 100 * time.Millisecond

// NewEnv returns an Env serving exchanges through x. It starts the
// idle-connection poller where the system has one; Close stops it.
func NewEnv(x *exchange.Env) *Env {
	e := &Env{X: x, Log: x.Log, ParkAfter: DefaultParkAfter, LingerMax: DefaultLingerMax}
	if p, err := park.New(); err == nil {
		e.park = p
	} else if err != park.ErrUnsupported {
		x.Log.Warn("idle connections keep their goroutine", "error", err)
	}
	e.heads.New = func() any { return new(heads) }
	e.works.New = func() any { return newWork(e) }
	return e
}

// Poller is the idle-connection poller, nil where the system has none; the
// HTTP/2 front parks its idle connections there too (h2.Parking).
func (e *Env) Poller() *park.Poller { return e.park }

// Parked is the number of connections parked in the poller now.
func (e *Env) Parked() int {
	if e.park == nil {
		return 0
	}
	return e.park.Parked()
}

// Close stops the poller. Call it once every session has ended: a session
// still parked would never wake.
func (e *Env) Close() {
	if e.park != nil {
		e.park.Close()
	}
}

func (e *Env) getBuf() *[]byte  { return e.X.GetBuf() }
func (e *Env) putBuf(b *[]byte) { e.X.PutBuf(b) }
