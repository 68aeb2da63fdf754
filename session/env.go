package session

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Env is what every session of a proxy shares: logging, counters, buffers
// and the request-id source. Its methods are safe for concurrent use.
type Env struct {
	Log *slog.Logger
	// IdleBackendTimeout is how long a pooled backend connection may stay
	// idle before it is closed instead of reused.
	IdleBackendTimeout time.Duration

	// Counters, read by status queries.
	Requests atomic.Int64
	Panics   atomic.Int64
	Active   atomic.Int64 // open client connections
	// BuffersInUse counts pooled buffers taken and not yet given back; a
	// parked connection holds none.
	BuffersInUse atomic.Int64

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

// NewEnv returns an Env logging to log.
func NewEnv(log *slog.Logger) *Env {
	e := &Env{Log: log, IdleBackendTimeout: 30 * time.Second}
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
