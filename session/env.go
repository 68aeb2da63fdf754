package session

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/internal/park"
)

// Env is what every session of a proxy shares: logging, counters, buffers
// and the request-id source. Its methods are safe for concurrent use.
type Env struct {
	Log *slog.Logger
	// IdleBackendTimeout is how long a pooled backend connection may stay
	// idle before it is closed instead of reused.
	IdleBackendTimeout time.Duration
	// ParkAfter is how long a client connection waits for its next request
	// in its own goroutine before it parks in the poller and lets the
	// goroutine (and its stack) go. Parking and waking cost a few
	// microseconds; a goroutine's stack costs 4 KiB or more. Default
	// DefaultParkAfter; negative never parks. Set before serving.
	ParkAfter time.Duration

	// Counters, read by status queries.
	Requests atomic.Int64
	Panics   atomic.Int64
	Active   atomic.Int64 // open client connections
	Tunnels  atomic.Int64 // upgraded connections being tunnelled now
	// BuffersInUse counts pooled buffers taken and not yet given back; a
	// parked connection holds none.
	BuffersInUse atomic.Int64
	// AccessLog receives a line per request; nil writes none. Set before
	// serving.
	AccessLog *accesslog.Logger
	// Parks counts connections handed to the poller.
	Parks atomic.Int64

	park *park.Poller // nil where parking is unsupported

	idPrefix [8]byte
	idSeq    atomic.Uint64

	bufs  sync.Pool // *[]byte of bufSize
	heads sync.Pool // *heads

	// testHook, when set by this package's tests, runs at the start of
	// each exchange.
	testHook func(*Session)
}

// bufSize is the size of pooled read buffers. A request or response head
// larger than this moves to a buffer of the head limit.
const bufSize = 16 << 10

// DefaultParkAfter is the default Env.ParkAfter: clients that pause longer
// than this between requests park.
const DefaultParkAfter = 100 * time.Millisecond

// NewEnv returns an Env logging to log. It starts the idle-connection
// poller where the system has one; Close stops it.
func NewEnv(log *slog.Logger) *Env {
	e := &Env{Log: log, IdleBackendTimeout: 30 * time.Second, ParkAfter: DefaultParkAfter}
	if p, err := park.New(); err == nil {
		e.park = p
	} else if err != park.ErrUnsupported {
		log.Warn("idle connections keep their goroutine", "error", err)
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	hex.Encode(e.idPrefix[:], r[:])
	e.bufs.New = func() any { b := make([]byte, bufSize); return &b }
	e.heads.New = func() any { return new(heads) }
	return e
}

// idLen is the length of a request id: 8 hex digits of process prefix, a
// dash, 12 hex digits of sequence.
const idLen = 21

// nextID writes a new request id into dst.
func (e *Env) nextID(dst *[idLen]byte) {
	n := e.idSeq.Add(1)
	copy(dst[:8], e.idPrefix[:])
	dst[8] = '-'
	const digits = "0123456789abcdef"
	for i := idLen - 1; i > 8; i-- {
		dst[i] = digits[n&0xf]
		n >>= 4
	}
}

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

func (e *Env) getBuf() *[]byte {
	e.BuffersInUse.Add(1)
	return e.bufs.Get().(*[]byte)
}

func (e *Env) putBuf(b *[]byte) {
	e.BuffersInUse.Add(-1)
	e.bufs.Put(b)
}

// IDLen is the length of a request id.
const IDLen = idLen

// NewID writes a new request id into dst; other protocol sessions (HTTP/2)
// share the sequence.
func (e *Env) NewID(dst *[IDLen]byte) { e.nextID(dst) }
