package h2

import (
	"encoding/binary"
	"errors"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// Error codes of the GOAWAY frames the guard sends (RFC 9113 §7).
const (
	codeProtocol        = 0x1
	codeEnhanceYourCalm = 0xb
)

// ErrMalformed is the read error that ends a connection whose client sent
// a connection-specific header field, or TE other than "trailers" (RFC 9113
// §8.2.2); net/http would answer such a request 400 instead.
var ErrMalformed = errors.New("h2: malformed request headers")

// maxFrame is the largest frame payload the server accepts
// (SETTINGS_MAX_FRAME_SIZE, the protocol's default).
const maxFrame = 16 << 10

// inbound follows the client's frames: it counts them against the flood
// limits, decodes header blocks with its own HPACK decoder (in step with
// the server's, as both see every block) to refuse connection-specific
// fields, and rewrites SETTINGS frames that repeat a parameter.
type inbound struct {
	lim    Limits
	failed error // set once a rule is broken; every later read fails

	skip    int     // preface or payload bytes still to pass over
	hdr     [9]byte // a frame header being assembled
	nhdr    int
	typ     byte   // type of the frame whose payload is passing
	flags   byte   // its flags
	length  int    // its payload length
	collect bool   // its payload is gathered into frag (HEADERS, CONTINUATION)
	frag    []byte // the payload gathered

	cont       int // CONTINUATION frames in the current header block
	blockBytes int // payload bytes of the current header block
	window     time.Time
	counts     [6]int // per window: see the count* indexes
	lastStream uint32 // highest stream whose header block was accepted
	cur        uint32 // stream of the header block in progress

	dec       *hpack.Decoder
	decBroken bool // the decoder failed; the server will have failed too
	malformed bool // a field of the block in progress is forbidden
}

func (in *inbound) init(lim Limits) {
	in.lim = lim
	in.skip = len(preface)
	in.dec = hpack.NewDecoder(64<<10, in.field)
}

// field checks one decoded request field (RFC 9113 §8.2.2): no
// hop-by-hop field but TE, and TE only as "trailers".
func (in *inbound) field(f hpack.HeaderField) {
	k := h1.ClassifyHeader([]byte(f.Name))
	if k.HopByHop() && (k != h1.HeaderTE || f.Value != "trailers") {
		in.malformed = true
	}
}

// scan follows the frames in b. It returns a GOAWAY code and an error when
// the client broke a rule.
func (in *inbound) scan(b []byte, now time.Time) (uint32, error) {
	for len(b) > 0 {
		if in.skip > 0 {
			if in.typ == frameSettings && in.flags&flagAck == 0 && in.skip == in.length && len(b) >= in.skip {
				// The whole payload is here, not yet handed to the server.
				dedupeSettings(b[:in.skip])
			}
			k := min(in.skip, len(b))
			if in.collect {
				in.frag = append(in.frag, b[:k]...)
			}
			in.skip -= k
			b = b[k:]
			if in.skip == 0 && in.collect {
				if err := in.block(); err != nil {
					return codeProtocol, err
				}
			}
			continue
		}
		k := copy(in.hdr[in.nhdr:], b)
		in.nhdr += k
		b = b[k:]
		if in.nhdr < len(in.hdr) {
			return 0, nil
		}
		in.nhdr = 0
		length := int(in.hdr[0])<<16 | int(in.hdr[1])<<8 | int(in.hdr[2])
		stream := binary.BigEndian.Uint32(in.hdr[5:9]) & 0x7fffffff
		in.typ, in.flags, in.skip, in.length = in.hdr[3], in.hdr[4], length, length
		in.collect = (in.typ == frameHeaders || in.typ == frameContinuation) && length <= maxFrame && !in.decBroken
		in.frag = in.frag[:0]
		if in.flood(stream, length, now) {
			return codeEnhanceYourCalm, ErrFlood
		}
		if in.overBlock(length) {
			return codeEnhanceYourCalm, ErrHeaderBlock
		}
		if in.typ == frameHeaders {
			in.cur = stream
		}
		if length == 0 && in.collect {
			if err := in.block(); err != nil {
				return codeProtocol, err
			}
		}
	}
	return 0, nil
}

// block feeds the header block fragment of a whole HEADERS or CONTINUATION
// payload to the decoder, and checks the fields at the end of the block.
func (in *inbound) block() error {
	p := in.frag
	if in.typ == frameHeaders {
		pad := 0
		if in.flags&0x8 != 0 { // PADDED
			if len(p) == 0 {
				in.decBroken = true
				return nil
			}
			pad, p = int(p[0]), p[1:]
		}
		if in.flags&0x20 != 0 { // PRIORITY
			if len(p) < 5 {
				in.decBroken = true
				return nil
			}
			p = p[5:]
		}
		if pad > len(p) {
			in.decBroken = true
			return nil
		}
		p = p[:len(p)-pad]
		in.malformed = false
	}
	if _, err := in.dec.Write(p); err != nil {
		in.decBroken = true // the server refuses the block itself
		return nil
	}
	if in.flags&0x4 == 0 { // not END_HEADERS: CONTINUATION follows
		return nil
	}
	if err := in.dec.Close(); err != nil {
		in.decBroken = true
		return nil
	}
	if in.malformed {
		return ErrMalformed
	}
	in.lastStream = max(in.lastStream, in.cur)
	return nil
}

// dedupeSettings rewrites (when the whole payload is in one read, as it is
// when the server reads a frame's payload after its header), in a SETTINGS payload, every parameter that a
// later one of the same identifier overrides into an unknown identifier,
// which receivers ignore (RFC 9113 §6.5.2): the values take effect in
// order, as the RFC asks, and net/http, which refuses repeated parameters,
// sees none.
func dedupeSettings(p []byte) {
	n := len(p) / 6
	for i := 0; i < n; i++ {
		id := binary.BigEndian.Uint16(p[6*i:])
		for j := i + 1; j < n; j++ {
			if binary.BigEndian.Uint16(p[6*j:]) == id {
				binary.BigEndian.PutUint16(p[6*i:], 0xf000+uint16(i))
				break
			}
		}
	}
}
