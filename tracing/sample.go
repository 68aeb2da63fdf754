package tracing

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/sluiceproxy/sluice/internal/tracectx"
)

// Sampler decides which requests are traced. Its zero value samples
// nothing; it is immutable.
type Sampler struct {
	bound uint64 // trace ids whose key is below it are sampled
	all   bool
}

// NewSampler samples ratio of new traces (0 to 1; NaN or less is 0, more
// is 1).
func NewSampler(ratio float64) Sampler {
	switch {
	case ratio >= 1:
		return Sampler{all: true}
	case !(ratio > 0):
		return Sampler{}
	}
	return Sampler{bound: uint64(ratio * (1 << 63))}
}

// Decide is the sampling decision of a request: with a valid parent (nil
// when there is none, or it was invalid), the parent's sampled flag; for
// a new trace, whether its id falls in the ratio: the last 8 bytes of the
// id, shifted right once, below ratio × 2^63. It is OpenTelemetry's
// ParentBased(TraceIDRatioBased(ratio)) decision, made without a context
// or an allocation, so that an unsampled request costs nothing more.
func (s Sampler) Decide(parent *tracectx.Parent, trace tracectx.TraceID) bool {
	if parent != nil {
		return parent.Sampled()
	}
	return s.all || binary.BigEndian.Uint64(trace[8:])>>1 < s.bound
}

// NewTraceID returns a random trace id (never zero).
func NewTraceID() (t tracectx.TraceID) {
	for !t.IsValid() {
		binary.BigEndian.PutUint64(t[:8], rand.Uint64())
		binary.BigEndian.PutUint64(t[8:], rand.Uint64())
	}
	return t
}

// NewSpanID returns a random span id (never zero).
func NewSpanID() (s tracectx.SpanID) {
	for !s.IsValid() {
		binary.BigEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}
