package exchange

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/tracing"
)

// Env is what every exchange of a proxy shares, whatever its protocol:
// logging, counters, request ids, buffers and the access log. Its methods
// are safe for concurrent use.
type Env struct {
	Log *slog.Logger
	// IdleBackendTimeout is how long a pooled backend connection may stay
	// idle before it is closed instead of reused.
	IdleBackendTimeout time.Duration
	// AccessLog receives a line per request; nil writes none. Set before
	// serving.
	AccessLog *accesslog.Logger
	// Challenges, when set, answers ACME HTTP-01 validation requests on
	// http listeners (see Decide); nil without ACME. Set before serving.
	Challenges Challenges
	// Tracer samples requests, sends their trace context to backends and
	// exports their spans; nil traces nothing and passes traceparent and
	// tracestate on as they came. Set before serving.
	Tracer *tracing.Tracer

	// Counters, read by status queries.
	Requests atomic.Int64
	Tunnels  atomic.Int64 // upgraded connections being tunnelled now
	// BuffersInUse counts pooled buffers taken and not yet given back; a
	// parked connection holds none.
	BuffersInUse atomic.Int64

	// BulkMax bounds the bulk buffers (BulkBufSize) in use at once; past
	// it a response body is copied through its exchange's BufSize buffer,
	// so that many slow downloads at once hold 16 KiB each, not 80. Zero
	// or less: none is used. NewEnv sets DefaultBulkMax. Set before
	// serving.
	BulkMax  int
	bulkUsed atomic.Int64

	idPrefix [8]byte
	idSeq    atomic.Uint64

	bufs sync.Pool // *[]byte of BufSize
	bulk sync.Pool // *[]byte of BulkBufSize

	// TestHook, when set (by tests only), runs at the start of each
	// exchange.
	TestHook func(*Exchange)
}

// BufSize is the size of pooled buffers: client reads, backend reads,
// request heads. A request or response head larger than this is refused
// (responses) or moves to a buffer of the head limit (requests).
const BufSize = 16 << 10

// BulkBufSize is the size of the pooled buffers a response body longer
// than a BufSize buffer is copied through: 64 KiB read from the backend
// and written to the client per system call instead of 16 KiB. An
// exchange holds one only while it copies such a body (see copy.go).
const BulkBufSize = 64 << 10

// DefaultBulkMax is Env.BulkMax unless set: 512 buffers, 32 MiB.
const DefaultBulkMax = 512

// NewEnv returns an Env logging to log, whose request ids start with a
// random prefix.
func NewEnv(log *slog.Logger) *Env {
	e := &Env{Log: log, IdleBackendTimeout: 30 * time.Second, BulkMax: DefaultBulkMax}
	var r [4]byte
	_, _ = rand.Read(r[:])
	hex.Encode(e.idPrefix[:], r[:])
	e.bufs.New = func() any { b := make([]byte, BufSize); return &b }
	e.bulk.New = func() any { b := make([]byte, BulkBufSize); return &b }
	return e
}

// IDLen is the length of a request id: 8 hex digits of process prefix, a
// dash, 12 hex digits of sequence.
const IDLen = 21

// NewID writes a new request id into dst.
func (e *Env) NewID(dst *[IDLen]byte) {
	n := e.idSeq.Add(1)
	copy(dst[:8], e.idPrefix[:])
	dst[8] = '-'
	const digits = "0123456789abcdef"
	for i := IDLen - 1; i > 8; i-- {
		dst[i] = digits[n&0xf]
		n >>= 4
	}
}

// GetBuf takes a buffer of BufSize from the pool; PutBuf gives it back.
func (e *Env) GetBuf() *[]byte {
	e.BuffersInUse.Add(1)
	return e.bufs.Get().(*[]byte)
}

// PutBuf gives back a buffer taken with GetBuf.
func (e *Env) PutBuf(b *[]byte) {
	e.BuffersInUse.Add(-1)
	e.bufs.Put(b)
}

// GetBulk takes a buffer of BulkBufSize from the pool, or returns nil when
// BulkMax are in use; PutBulk gives one back. Both count in BuffersInUse.
func (e *Env) GetBulk() *[]byte {
	if e.bulkUsed.Add(1) > int64(e.BulkMax) {
		e.bulkUsed.Add(-1)
		return nil
	}
	e.BuffersInUse.Add(1)
	return e.bulk.Get().(*[]byte)
}

// PutBulk gives back a buffer taken with GetBulk.
func (e *Env) PutBulk(b *[]byte) {
	e.bulkUsed.Add(-1)
	e.BuffersInUse.Add(-1)
	e.bulk.Put(b)
}
