// Package sni reads the server name (SNI, RFC 6066 §3) from the first
// bytes of a TLS connection without terminating TLS: the ClientHello is
// parsed from the raw records, which stay untouched so that they can be
// replayed to a backend that does the handshake.
//
// [Parse] is pure: it looks at the bytes read so far and says whether it
// needs more. [Peek] reads from a connection into a caller-owned buffer of
// at most [MaxHello] bytes until Parse has its answer. Neither allocates:
// a ClientHello split over several records is put together in a second
// caller-owned buffer, and the name returned is a slice of one of the two.
package sni

import "errors"

// MaxHello bounds what Peek reads before it gives up: 16 KiB, records
// headers included. Browsers' ClientHellos (post-quantum key shares
// included) take under 2 KiB.
const MaxHello = 16 << 10

// Results of Parse and Peek other than a name.
var (
	// ErrNeedMore: the bytes end before the server name is known.
	ErrNeedMore = errors.New("sni: ClientHello incomplete")
	// ErrNotTLS: the first byte is not that of a TLS handshake record
	// (SSLv2 hellos, plain text, anything else). Known from one byte.
	ErrNotTLS = errors.New("sni: not a TLS handshake")
	// ErrTooLarge: the ClientHello does not fit in MaxHello bytes.
	ErrTooLarge = errors.New("sni: ClientHello larger than 16 KiB")
)

// malformed is a ClientHello that breaks the TLS framing or the
// ClientHello syntax.
type malformed string

func (m malformed) Error() string { return "sni: malformed ClientHello: " + string(m) }

// IsMalformed reports whether err says the bytes are a broken TLS
// handshake (as opposed to incomplete, too large or not TLS).
func IsMalformed(err error) bool {
	var m malformed
	return errors.As(err, &m)
}

// TLS constants (RFC 8446).
const (
	recordHeader    = 5
	recordHandshake = 22
	maxRecord       = 1 << 14 // a plaintext record's largest fragment
	typeClientHello = 1
	extServerName   = 0
	nameTypeHost    = 0
)

// Parse looks for the server name in b, the first bytes a client sent. It
// returns:
//
//   - the host name of the SNI extension (a slice of b or of scratch,
//     valid until either is reused; as sent, not lowercased) and nil;
//   - nil and nil when the ClientHello is complete and has no SNI
//     extension (or no host_name entry in it);
//   - ErrNeedMore when b ends before the answer is known;
//   - ErrNotTLS when b[0] is not a handshake record's type;
//   - ErrTooLarge when the ClientHello (or b) is longer than MaxHello;
//   - a malformed error (see IsMalformed) otherwise.
//
// scratch must hold MaxHello bytes; it is used only when the ClientHello
// is fragmented over several records. Bytes after the ClientHello (more
// records, early data) are ignored.
func Parse(b, scratch []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, ErrNeedMore
	}
	if b[0] != recordHandshake {
		return nil, ErrNotTLS
	}
	msg, err := handshake(b, scratch)
	if err != nil {
		return nil, err
	}
	return clientHello(msg)
}

// handshake returns the first handshake message of the records in b
// (header included), put together in scratch when it spans records.
func handshake(b, scratch []byte) ([]byte, error) {
	var (
		joined   []byte // the message so far, when it spans records
		inPlace  []byte // the first record's fragment
		need     = -1   // the message's length, header included, once known
		nRecords int
	)
	for off := 0; ; {
		if len(b)-off < recordHeader {
			return nil, needMore(b)
		}
		h := b[off : off+recordHeader]
		if h[0] != recordHandshake {
			return nil, malformed("a record other than handshake before the ClientHello ends")
		}
		if h[1] != 3 {
			return nil, malformed("record version is not 3.x")
		}
		n := int(h[3])<<8 | int(h[4])
		if n == 0 {
			return nil, malformed("empty handshake record")
		}
		if n > maxRecord {
			return nil, malformed("record longer than 16 KiB")
		}
		off += recordHeader
		if len(b)-off < n {
			return nil, needMore(b)
		}
		frag := b[off : off+n]
		off += n
		nRecords++
		if nRecords == 1 {
			inPlace = frag
		} else {
			if joined == nil {
				if cap(scratch) < MaxHello {
					panic("sni: scratch buffer shorter than MaxHello")
				}
				joined = append(scratch[:0], inPlace...)
			}
			if len(joined)+len(frag) > MaxHello {
				return nil, ErrTooLarge
			}
			joined = append(joined, frag...)
		}
		msg := inPlace
		if joined != nil {
			msg = joined
		}
		if need < 0 && len(msg) >= 4 {
			if msg[0] != typeClientHello {
				return nil, malformed("first handshake message is not a ClientHello")
			}
			need = 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
			if need > MaxHello {
				return nil, ErrTooLarge
			}
		}
		if need >= 0 && len(msg) >= need {
			return msg[:need], nil
		}
	}
}

// needMore is ErrNeedMore, or ErrTooLarge when b already fills MaxHello.
func needMore(b []byte) error {
	if len(b) >= MaxHello {
		return ErrTooLarge
	}
	return ErrNeedMore
}

// clientHello returns the host name in a complete ClientHello message
// (RFC 8446 §4.1.2; the TLS 1.2 and earlier forms are the same up to the
// extensions, which are optional).
func clientHello(msg []byte) ([]byte, error) {
	r := reader(msg[4:])
	if !r.skip(2 + 32) { // legacy_version, random
		return nil, malformed("short ClientHello")
	}
	if sid, ok := r.vec8(); !ok || len(sid) > 32 {
		return nil, malformed("bad session id")
	}
	if cs, ok := r.vec16(); !ok || len(cs)%2 != 0 { // empty: crypto/tls sends and accepts it
		return nil, malformed("bad cipher suites")
	}
	if cm, ok := r.vec8(); !ok || len(cm) < 1 {
		return nil, malformed("bad compression methods")
	}
	if len(r) == 0 {
		return nil, nil // no extensions (SSL 3.0-style hello)
	}
	exts, ok := r.vec16()
	if !ok || len(r) != 0 {
		return nil, malformed("bad extensions length")
	}
	var name []byte
	seen := false
	for len(exts) > 0 {
		typ, ok1 := exts.u16()
		data, ok2 := exts.vec16()
		if !ok1 || !ok2 {
			return nil, malformed("bad extension")
		}
		if typ != extServerName {
			continue
		}
		if seen {
			return nil, malformed("two server_name extensions")
		}
		seen = true
		n, err := serverName(data)
		if err != nil {
			return nil, err
		}
		name = n
	}
	return name, nil
}

// serverName returns the first host_name of a server_name extension's
// data (RFC 6066 §3), or nil when it has none.
func serverName(data reader) ([]byte, error) {
	list, ok := data.vec16()
	if !ok || len(data) != 0 || len(list) == 0 {
		return nil, malformed("bad server_name list")
	}
	var name []byte
	for len(list) > 0 {
		typ := list[0]
		list = list[1:]
		n, ok := list.vec16()
		if !ok {
			return nil, malformed("bad server_name entry")
		}
		if typ == nameTypeHost && name == nil {
			if len(n) == 0 {
				return nil, malformed("empty host_name")
			}
			name = n
		}
	}
	return name, nil
}

// reader consumes a byte slice from the front.
type reader []byte

func (r *reader) skip(n int) bool {
	if len(*r) < n {
		return false
	}
	*r = (*r)[n:]
	return true
}

func (r *reader) u16() (int, bool) {
	if len(*r) < 2 {
		return 0, false
	}
	v := int((*r)[0])<<8 | int((*r)[1])
	*r = (*r)[2:]
	return v, true
}

func (r *reader) vec8() (reader, bool) {
	if len(*r) < 1 {
		return nil, false
	}
	n := int((*r)[0])
	if len(*r) < 1+n {
		return nil, false
	}
	v := (*r)[1 : 1+n]
	*r = (*r)[1+n:]
	return v, true
}

func (r *reader) vec16() (reader, bool) {
	n, ok := r.u16()
	if !ok || len(*r) < n {
		return nil, false
	}
	v := (*r)[:n]
	*r = (*r)[n:]
	return v, true
}
