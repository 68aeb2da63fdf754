package tracectx

// TraceID and SpanID are the W3C ids: 16 and 8 bytes, valid when not all
// zeros.
type (
	TraceID [16]byte
	SpanID  [8]byte
)

// IsValid reports an id that is not all zeros.
func (t TraceID) IsValid() bool { return t != TraceID{} }

// IsValid reports an id that is not all zeros.
func (s SpanID) IsValid() bool { return s != SpanID{} }

// Trace flags (traceparent's last field).
const (
	// FlagSampled: the caller may have recorded its span.
	FlagSampled byte = 0x01
	// FlagRandom (Level 2): the trace-id's right 7 bytes are random.
	FlagRandom byte = 0x02
)

// Parent is a parsed traceparent: the trace it belongs to, the caller's
// span, and the flags.
type Parent struct {
	Trace TraceID
	Span  SpanID
	Flags byte
}

// Sampled reports the sampled flag.
func (p *Parent) Sampled() bool { return p.Flags&FlagSampled != 0 }

// Len is the length of a version 00 traceparent.
const Len = 55

// ParseParent parses a traceparent value (OWS already removed, as a field
// parser leaves it) into p. It reports false, leaving p unspecified, when
// v breaks the format: the caller starts a new trace then.
func ParseParent(v []byte, p *Parent) bool {
	if len(v) < Len || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return false
	}
	ver, ok := hexByte(v[0], v[1])
	if !ok || ver == 0xff || ver == 0 && len(v) != Len || len(v) > Len && v[Len] != '-' {
		return false
	}
	for i := range p.Trace {
		if p.Trace[i], ok = hexByte(v[3+2*i], v[4+2*i]); !ok {
			return false
		}
	}
	for i := range p.Span {
		if p.Span[i], ok = hexByte(v[36+2*i], v[37+2*i]); !ok {
			return false
		}
	}
	if p.Flags, ok = hexByte(v[53], v[54]); !ok {
		return false
	}
	return p.Trace.IsValid() && p.Span.IsValid()
}

// AppendParent appends the version 00 traceparent of span s in trace t
// with flags.
func AppendParent(b []byte, t TraceID, s SpanID, flags byte) []byte {
	b = append(b, '0', '0', '-')
	b = AppendHex(b, t[:])
	b = append(b, '-')
	b = AppendHex(b, s[:])
	return append(b, '-', hexDigits[flags>>4], hexDigits[flags&0xf])
}

const hexDigits = "0123456789abcdef"

// AppendHex appends id in lowercase hex.
func AppendHex(b, id []byte) []byte {
	for _, c := range id {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// hexByte decodes two lowercase hex digits; uppercase is invalid in
// traceparent.
func hexByte(a, b byte) (byte, bool) {
	x, y := unhex[a], unhex[b]
	return x<<4 | y&0xf, x|y < 0x10
}

// unhex maps a lowercase hex digit to its value, anything else to 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < 16; i++ {
		t[hexDigits[i]] = byte(i)
	}
	return t
}()
