package proxyproto

import (
	"encoding/binary"
	"net/netip"
)

// Version 2 command and family bytes (spec §2.2).
const (
	v2Local = 0x20
	v2Proxy = 0x21

	famUnspec   = 0x00
	famTCP4     = 0x11
	famUDP4     = 0x12
	famTCP6     = 0x21
	famUDP6     = 0x22
	famUnixSock = 0x31
	famUnixDgrm = 0x32

	lenInet  = 12
	lenInet6 = 36
	lenUnix  = 216
)

// ParseV2 parses a version 2 (binary) header at the start of b. maxV2
// bounds its total length, TLVs included (0: DefaultMaxV2). A LOCAL header
// is accepted whatever its family and its addresses are ignored; a PROXY
// header must name a stream transport (or UNSPEC) and carry the addresses
// of its family. UNSPEC and unix-socket PROXY headers carry no usable IP
// address: the receiver uses the connection's. The TLVs' framing is checked
// (each fits in the header); their contents are not interpreted. It returns
// the header's length, ErrIncomplete, or an error wrapping ErrMalformed.
func ParseV2(b []byte, h *Header, maxV2 int) (int, error) {
	if maxV2 <= 0 {
		maxV2 = DefaultMaxV2
	}
	if !hasPrefix(b, v2Sig) {
		return 0, ErrMissing
	}
	if len(b) < v2Fixed {
		if len(b) > len(v2Sig) && b[12]>>4 != 2 {
			return 0, malformed("v2 version is not 2")
		}
		return 0, ErrIncomplete
	}
	verCmd, fam := b[12], b[13]
	size := v2Fixed + int(binary.BigEndian.Uint16(b[14:16]))
	if verCmd>>4 != 2 {
		return 0, malformed("v2 version is not 2")
	}
	if size > maxV2 {
		return 0, ErrTooLarge
	}
	if len(b) < size {
		return 0, ErrIncomplete
	}
	body := b[v2Fixed:size]
	*h = Header{Version: 2}
	addrLen := 0
	switch verCmd {
	case v2Local:
		h.Command = Local
		switch fam {
		case famTCP4, famUDP4:
			addrLen = lenInet
		case famTCP6, famUDP6:
			addrLen = lenInet6
		case famUnixSock, famUnixDgrm:
			addrLen = lenUnix
		}
		if addrLen > len(body) {
			addrLen = 0 // LOCAL addresses are ignored: only TLVs after them matter
		}
	case v2Proxy:
		h.Command = Proxy
		switch fam {
		case famUnspec:
		case famTCP4:
			addrLen = lenInet
		case famTCP6:
			addrLen = lenInet6
		case famUnixSock:
			addrLen = lenUnix
		case famUDP4, famUDP6, famUnixDgrm:
			return 0, malformed("v2 datagram header on a stream connection")
		default:
			return 0, malformed("v2 address family or transport is unknown")
		}
		if addrLen > len(body) {
			return 0, malformed("v2 length is shorter than the addresses of its family")
		}
		switch fam {
		case famTCP4:
			h.Source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:10]))
			h.Dest = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[4:8])), binary.BigEndian.Uint16(body[10:12]))
		case famTCP6:
			h.Source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[0:16])), binary.BigEndian.Uint16(body[32:34]))
			h.Dest = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[16:32])), binary.BigEndian.Uint16(body[34:36]))
		}
	default:
		return 0, malformed("v2 command is neither LOCAL nor PROXY")
	}
	tlvs := body[addrLen:]
	for t := tlvs; len(t) > 0; {
		if len(t) < 3 {
			return 0, malformed("v2 TLV is cut short")
		}
		n := 3 + int(binary.BigEndian.Uint16(t[1:3]))
		if n > len(t) {
			return 0, malformed("v2 TLV runs past the header")
		}
		t = t[n:]
	}
	if len(tlvs) > 0 {
		h.TLVs = tlvs
	}
	return size, nil
}

// AppendV2 appends h in version 2 form with its TLVs. A Proxy header with
// addresses is written as TCP over IPv4 when both addresses are IPv4 (or
// IPv4-mapped), over IPv6 otherwise; a Proxy header without addresses is
// written with the UNSPEC family, and a Local header as LOCAL/UNSPEC. It
// allocates only when dst is too small. The TLVs must fit in the 16-bit
// length (they come from a parsed header or from the caller, who keeps them
// short).
func AppendV2(dst []byte, h *Header) []byte {
	dst = append(dst, v2Sig...)
	var fam byte
	addrLen := 0
	cmd := byte(v2Proxy)
	if h.Command == Local {
		cmd = v2Local
	}
	src, dstA := h.Source.Addr(), h.Dest.Addr()
	if h.HasAddrs() {
		if src.Unmap().Is4() && dstA.Unmap().Is4() {
			fam, addrLen = famTCP4, lenInet
		} else {
			fam, addrLen = famTCP6, lenInet6
		}
	}
	dst = append(dst, cmd, fam)
	dst = binary.BigEndian.AppendUint16(dst, uint16(addrLen+len(h.TLVs)))
	switch fam {
	case famTCP4:
		s, d := src.Unmap().As4(), dstA.Unmap().As4()
		dst = append(append(dst, s[:]...), d[:]...)
	case famTCP6:
		s, d := src.As16(), dstA.As16()
		dst = append(append(dst, s[:]...), d[:]...)
	}
	if addrLen > 0 {
		dst = binary.BigEndian.AppendUint16(dst, h.Source.Port())
		dst = binary.BigEndian.AppendUint16(dst, h.Dest.Port())
	}
	return append(dst, h.TLVs...)
}
