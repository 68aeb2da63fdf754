package proxyproto

import (
	"errors"
	"net"
	"net/netip"
)

// Command says what a header is for.
type Command uint8

const (
	// Local: the connection was opened by the sender itself (a health
	// check); the receiver uses the connection's real addresses.
	Local Command = iota
	// Proxy: the connection is relayed for the client named by Source.
	Proxy
)

// Header is one parsed PROXY protocol header.
type Header struct {
	// Version is 1 or 2.
	Version int
	// Command is Local or Proxy. A version 1 "UNKNOWN" header parses as
	// Proxy without addresses.
	Command Command
	// Source and Dest are the client's address and the address it
	// connected to. They are valid (IsValid) only for a Proxy header of
	// the TCP over IPv4 or IPv6 kind; otherwise the receiver uses the
	// connection's real addresses.
	Source, Dest netip.AddrPort
	// TLVs are the version 2 type-length-value fields, as received
	// (framing checked). They alias the parsed buffer: copy them to keep
	// them beyond it.
	TLVs []byte
}

// HasAddrs reports whether the header carries the client address to use
// instead of the connection's own.
func (h *Header) HasAddrs() bool {
	return h.Command == Proxy && h.Source.IsValid() && h.Dest.IsValid()
}

// Reset clears h for reuse.
func (h *Header) Reset() { *h = Header{} }

// Size limits.
const (
	// MaxV1 is the longest version 1 header, CRLF included (spec §2.1).
	MaxV1 = 107
	// v2Fixed is the length of a version 2 header's fixed part.
	v2Fixed = 16
	// DefaultMaxV2 is the default bound of a version 2 header, TLVs
	// included; the protocol allows 16+65535 bytes.
	DefaultMaxV2 = 4096
)

// The errors of the parsers. Every parse error other than ErrIncomplete
// wraps ErrMalformed.
var (
	// ErrIncomplete: the bytes so far are a valid beginning; more are
	// needed.
	ErrIncomplete = errors.New("proxyproto: incomplete header")
	// ErrMalformed: the bytes are not a valid header.
	ErrMalformed = errors.New("proxyproto: malformed header")
	// ErrMissing: the bytes do not start with a PROXY protocol signature.
	ErrMissing = malformed("no PROXY protocol signature")
	// ErrTooLarge: the header is longer than the bound.
	ErrTooLarge = malformed("header longer than the limit")
)

// malformed returns an error that wraps ErrMalformed with a reason.
func malformed(reason string) error { return &parseError{reason} }

type parseError struct{ reason string }

func (e *parseError) Error() string { return "proxyproto: malformed header: " + e.reason }
func (e *parseError) Unwrap() error { return ErrMalformed }

// v2Sig is the 12-byte signature of a version 2 header.
const v2Sig = "\r\n\r\n\x00\r\nQUIT\n"

// v1Sig starts a version 1 header.
const v1Sig = "PROXY "

// Parse parses the header at the start of b into h and returns its length.
// It returns ErrIncomplete while b is a valid beginning of a header, and an
// error wrapping ErrMalformed (ErrMissing when b starts with neither
// signature) otherwise. maxV2 bounds a version 2 header (0:
// DefaultMaxV2). On error h is undefined.
func Parse(b []byte, h *Header, maxV2 int) (int, error) {
	switch {
	case hasPrefix(b, v2Sig):
		return ParseV2(b, h, maxV2)
	case hasPrefix(b, v1Sig):
		return ParseV1(b, h)
	}
	return 0, ErrMissing
}

// hasPrefix reports whether b starts with sig, or is a strict beginning of
// it (more bytes may complete it). It is false for an empty b.
func hasPrefix(b []byte, sig string) bool {
	if len(b) == 0 {
		return false
	}
	n := min(len(b), len(sig))
	return string(b[:n]) == sig[:n]
}

// ConnHeader returns the PROXY header that names a connection's ends: its
// peer as the source and its local end as the destination, IPv4-mapped
// addresses unmapped. An end that is not TCP is left out (the header then
// carries no address).
func ConnHeader(c net.Conn) Header {
	return Header{Command: Proxy, Source: tcpAddrPort(c.RemoteAddr()), Dest: tcpAddrPort(c.LocalAddr())}
}

func tcpAddrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
