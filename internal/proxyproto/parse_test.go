package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestParseV1(t *testing.T) {
	cases := []struct {
		in       string
		src, dst string // "" when no addresses
	}{
		{"PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\nGET /", "192.168.0.1:56324", "10.0.0.2:443"},
		{"PROXY TCP6 2001:db8::1 ::1 65535 0\r\n", "[2001:db8::1]:65535", "[::1]:0"},
		{"PROXY TCP6 ::ffff:1.2.3.4 ::1 1 2\r\n", "[::ffff:1.2.3.4]:1", "[::1]:2"},
		{"PROXY UNKNOWN\r\n", "", ""},
		{"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nxx", "", ""},
	}
	for _, c := range cases {
		var h Header
		n, err := ParseV1([]byte(c.in), &h)
		if want := strings.Index(c.in, "\r\n") + 2; err != nil || n != want {
			t.Errorf("%q: n=%d err=%v, want %d", c.in, n, err, want)
			continue
		}
		if h.Version != 1 || h.Command != Proxy {
			t.Errorf("%q: %+v", c.in, h)
		}
		if c.src == "" {
			if h.HasAddrs() {
				t.Errorf("%q: has addresses %v %v", c.in, h.Source, h.Dest)
			}
			continue
		}
		if h.Source != ap(c.src) || h.Dest != ap(c.dst) {
			t.Errorf("%q: got %v %v", c.in, h.Source, h.Dest)
		}
	}
}

func TestParseV1Errors(t *testing.T) {
	incomplete := []string{"P", "PROXY", "PROXY TCP4 1.2.3.4", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"}
	for _, in := range incomplete {
		var h Header
		if _, err := Parse([]byte(in), &h, 0); err != ErrIncomplete {
			t.Errorf("%q: %v, want ErrIncomplete", in, err)
		}
	}
	bad := []string{
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",                       // bare LF
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",                    // trailing space
		"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",                    // double space
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",                       // a field missing
		"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",                         // wrong family
		"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",                         // wrong family
		"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",                    // zone
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",                 // port range
		"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",                    // leading zero
		"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",                    // sign
		"PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n",                    // leading zero in IPv4
		"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",                     // protocol
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",                   // bare CR
		"PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",                     // case
		"GET / HTTP/1.1\r\n",                                     // no header at all
		"PROXY UNKNOWN" + string(bytes.Repeat([]byte{'x'}, 100)), // too long
	}
	for _, in := range bad {
		var h Header
		if _, err := Parse([]byte(in), &h, 0); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v, want malformed", in, err)
		}
	}
}

// v2 builds a version 2 header by hand.
func v2(cmd, fam byte, body []byte) []byte {
	b := append([]byte(v2Sig), cmd, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

func TestParseV2(t *testing.T) {
	inet := []byte{192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb}
	tlv := []byte{0x04, 0x00, 0x02, 'h', 'i'} // PP2_TYPE_NOOP
	var h Header
	in := append(v2(v2Proxy, famTCP4, append(append([]byte{}, inet...), tlv...)), "rest"...)
	n, err := Parse(in, &h, 0)
	if err != nil || n != len(in)-4 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if h.Version != 2 || h.Command != Proxy || h.Source != ap("192.0.2.1:56324") || h.Dest != ap("198.51.100.7:443") {
		t.Fatalf("%+v", h)
	}
	if !bytes.Equal(h.TLVs, tlv) {
		t.Fatalf("TLVs %x", h.TLVs)
	}

	in6 := make([]byte, 36)
	copy(in6, netip.MustParseAddr("2001:db8::5").AsSlice())
	copy(in6[16:], netip.MustParseAddr("::1").AsSlice())
	binary.BigEndian.PutUint16(in6[32:], 1234)
	binary.BigEndian.PutUint16(in6[34:], 80)
	if _, err := Parse(v2(v2Proxy, famTCP6, in6), &h, 0); err != nil || h.Source != ap("[2001:db8::5]:1234") || h.Dest != ap("[::1]:80") {
		t.Fatalf("v6: %v %+v", err, h)
	}

	// LOCAL, with or without addresses: no addresses to use.
	for _, in := range [][]byte{v2(v2Local, famUnspec, nil), v2(v2Local, famTCP4, inet), v2(v2Local, famTCP4, nil)} {
		if _, err := Parse(in, &h, 0); err != nil || h.Command != Local || h.HasAddrs() {
			t.Errorf("LOCAL %x: %v %+v", in, err, h)
		}
	}
	// PROXY UNSPEC and unix sockets: accepted, no IP addresses.
	for _, in := range [][]byte{v2(v2Proxy, famUnspec, nil), v2(v2Proxy, famUnixSock, make([]byte, 216))} {
		if _, err := Parse(in, &h, 0); err != nil || h.Command != Proxy || h.HasAddrs() {
			t.Errorf("%x: %v %+v", in[12:16], err, h)
		}
	}
}

func TestParseV2Errors(t *testing.T) {
	inet := make([]byte, 12)
	for i := 1; i < 16; i++ {
		var h Header
		if _, err := Parse(v2(v2Proxy, famTCP4, inet)[:i], &h, 0); err != ErrIncomplete {
			t.Errorf("first %d bytes: %v, want ErrIncomplete", i, err)
		}
	}
	bad := map[string][]byte{
		"version 1 in v2 form": v2(0x11, famTCP4, inet),
		"command 2":            v2(0x22, famTCP4, inet),
		"short addresses":      v2(v2Proxy, famTCP4, inet[:11]),
		"short v6 addresses":   v2(v2Proxy, famTCP6, inet),
		"datagram":             v2(v2Proxy, famUDP4, inet),
		"unknown family":       v2(v2Proxy, 0x41, inet),
		"cut TLV":              v2(v2Proxy, famTCP4, append(append([]byte{}, inet...), 1, 0)),
		"TLV past the end":     v2(v2Proxy, famTCP4, append(append([]byte{}, inet...), 1, 0, 5, 'x')),
		"too large":            v2(v2Proxy, famTCP4, make([]byte, DefaultMaxV2)),
		"bad signature":        append([]byte("\r\n\r\n\x00\r\nQUIX\n"), 0x21, 0x11, 0, 12),
	}
	for name, in := range bad {
		var h Header
		if _, err := Parse(in, &h, 0); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want malformed", name, err)
		}
	}
}

// TestRoundTrip writes headers with AppendV1 and AppendV2 and parses them
// back.
func TestRoundTrip(t *testing.T) {
	hs := []Header{
		{Command: Proxy, Source: ap("192.0.2.1:1"), Dest: ap("192.0.2.2:65535")},
		{Command: Proxy, Source: ap("[2001:db8::1]:443"), Dest: ap("[::1]:8443")},
		{Command: Proxy, Source: ap("[::ffff:192.0.2.1]:1"), Dest: ap("192.0.2.2:2")}, // mapped: written as v4
		{Command: Proxy, Source: ap("192.0.2.1:1"), Dest: ap("[2001:db8::2]:2")},      // mixed: written as v6
		{Command: Proxy},
		{Command: Local},
		{Command: Proxy, Source: ap("192.0.2.1:1"), Dest: ap("192.0.2.2:2"), TLVs: []byte{1, 0, 2, 'h', '2', 0xea, 0, 0}},
	}
	for _, want := range hs {
		var got Header
		b := AppendV2(nil, &want)
		n, err := Parse(b, &got, 0)
		if err != nil || n != len(b) {
			t.Errorf("v2 %+v: n=%d/%d err=%v", want, n, len(b), err)
			continue
		}
		checkSame(t, "v2", &want, &got, true)

		if want.Command == Local {
			continue // no v1 form
		}
		b = AppendV1(nil, &want)
		n, err = Parse(b, &got, 0)
		if err != nil || n != len(b) {
			t.Errorf("v1 %q: n=%d err=%v", b, n, err)
			continue
		}
		checkSame(t, "v1", &want, &got, false)
	}
}

// checkSame compares the addresses (IPv4-mapped ones as IPv4 when both are
// IPv4, IPv4 as mapped when mixed) and, for v2, the command and TLVs.
func checkSame(t *testing.T, v string, want, got *Header, v2 bool) {
	t.Helper()
	if want.HasAddrs() != got.HasAddrs() {
		t.Errorf("%s: addresses %v %v, got %v %v", v, want.Source, want.Dest, got.Source, got.Dest)
		return
	}
	if want.HasAddrs() {
		norm := func(a netip.AddrPort, v4 bool) netip.AddrPort {
			if v4 {
				return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
			}
			return netip.AddrPortFrom(as16(a.Addr()), a.Port())
		}
		v4 := want.Source.Addr().Unmap().Is4() && want.Dest.Addr().Unmap().Is4()
		if norm(want.Source, v4) != got.Source || norm(want.Dest, v4) != got.Dest {
			t.Errorf("%s: addresses %v %v, got %v %v", v, want.Source, want.Dest, got.Source, got.Dest)
		}
	}
	if v2 && (want.Command != got.Command || !bytes.Equal(want.TLVs, got.TLVs)) {
		t.Errorf("%s: %+v, got %+v", v, want, got)
	}
}

func TestParseV2AllocatesNothing(t *testing.T) {
	h := Header{Command: Proxy, Source: ap("[2001:db8::1]:443"), Dest: ap("[::1]:8443"), TLVs: []byte{4, 0, 0}}
	b := AppendV2(make([]byte, 0, 128), &h)
	out := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		var got Header
		if _, err := Parse(b, &got, 0); err != nil {
			t.Fatal(err)
		}
		out = AppendV2(out[:0], &got)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per parse and append", allocs)
	}
}

func BenchmarkParseV2(b *testing.B) {
	h := Header{Command: Proxy, Source: ap("192.0.2.1:1"), Dest: ap("192.0.2.2:2")}
	in := AppendV2(nil, &h)
	b.ReportAllocs()
	for b.Loop() {
		var got Header
		_, _ = Parse(in, &got, 0)
	}
}

func BenchmarkParseV1(b *testing.B) {
	in := []byte("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\n")
	b.ReportAllocs()
	for b.Loop() {
		var got Header
		_, _ = Parse(in, &got, 0)
	}
}
