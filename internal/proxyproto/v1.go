package proxyproto

import (
	"bytes"
	"net/netip"
	"strconv"
)

// ParseV1 parses a version 1 (text) header at the start of b:
//
//	PROXY TCP4 SRC DST SPORT DPORT\r\n
//	PROXY TCP6 SRC DST SPORT DPORT\r\n
//	PROXY UNKNOWN[ anything]\r\n
//
// Fields are separated by exactly one space; addresses must be of the
// named family (no zones), ports decimal 0-65535 without leading zeros; the
// whole line is at most MaxV1 bytes. UNKNOWN parses as a Proxy header
// without addresses. It returns the header's length, ErrIncomplete, or an
// error wrapping ErrMalformed.
func ParseV1(b []byte, h *Header) (int, error) {
	if !hasPrefix(b, v1Sig) {
		return 0, ErrMissing
	}
	end := bytes.IndexByte(b[:min(len(b), MaxV1)], '\n')
	if end < 0 {
		if len(b) >= MaxV1 {
			return 0, ErrTooLarge
		}
		return 0, ErrIncomplete
	}
	if end == 0 || b[end-1] != '\r' {
		return 0, malformed("v1 line does not end with CRLF")
	}
	line := b[len(v1Sig) : end-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return 0, malformed("v1 line has a bare CR")
	}
	*h = Header{Version: 1, Command: Proxy}
	proto, rest, _ := bytes.Cut(line, []byte{' '})
	switch string(proto) {
	case "UNKNOWN":
		return end + 1, nil // the rest of the line is ignored (spec §2.1)
	case "TCP4", "TCP6":
	default:
		return 0, malformed("v1 protocol is not TCP4, TCP6 or UNKNOWN")
	}
	var f [4][]byte
	for i := range f {
		var ok bool
		f[i], rest, ok = bytes.Cut(rest, []byte{' '})
		if len(f[i]) == 0 || ok != (i < 3) {
			return 0, malformed("v1 line does not have 4 space-separated fields after the protocol")
		}
	}
	v6 := proto[3] == '6'
	src, err1 := parseV1Addr(f[0], v6)
	dst, err2 := parseV1Addr(f[1], v6)
	sp, err3 := parseV1Port(f[2])
	dp, err4 := parseV1Port(f[3])
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return 0, err
		}
	}
	h.Source = netip.AddrPortFrom(src, sp)
	h.Dest = netip.AddrPortFrom(dst, dp)
	return end + 1, nil
}

func parseV1Addr(b []byte, v6 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" || a.Is4() == v6 {
		return netip.Addr{}, malformed("v1 address is not a plain address of the named family")
	}
	return a, nil
}

func parseV1Port(b []byte) (uint16, error) {
	if len(b) > 5 || len(b) > 1 && b[0] == '0' {
		return 0, malformed("v1 port is not 0-65535 without leading zeros")
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, malformed("v1 port is not a decimal number")
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, malformed("v1 port is over 65535")
	}
	return uint16(n), nil
}

// AppendV1 appends h in version 1 form: TCP4 or TCP6 when h has addresses
// (IPv4 when both are IPv4, or IPv4-mapped), UNKNOWN otherwise. TLVs have
// no version 1 form and are dropped.
func AppendV1(dst []byte, h *Header) []byte {
	if !h.HasAddrs() {
		return append(dst, "PROXY UNKNOWN\r\n"...)
	}
	src, dstA := h.Source.Addr(), h.Dest.Addr()
	if src.Unmap().Is4() && dstA.Unmap().Is4() {
		dst = append(dst, "PROXY TCP4 "...)
		src, dstA = src.Unmap(), dstA.Unmap()
	} else {
		dst = append(dst, "PROXY TCP6 "...)
		src, dstA = as16(src), as16(dstA)
	}
	dst = src.AppendTo(dst)
	dst = append(dst, ' ')
	dst = dstA.AppendTo(dst)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Source.Port()), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Dest.Port()), 10)
	return append(dst, "\r\n"...)
}

// as16 returns a as an IPv6 address (IPv4 as IPv4-mapped).
func as16(a netip.Addr) netip.Addr { return netip.AddrFrom16(a.As16()) }
