package proxyproto

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// oneByteReader returns at most one byte per Read, like a slow peer.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(1, len(p))]) }

// TestReadExact checks that Read consumes the header and not a byte more,
// whatever the version and however the bytes arrive.
func TestReadExact(t *testing.T) {
	v4 := Header{Command: Proxy, Source: ap("192.0.2.1:5"), Dest: ap("192.0.2.2:6")}
	v6 := Header{Command: Proxy, Source: ap("[2001:db8::1]:5"), Dest: ap("[::1]:6")}
	heads := [][]byte{
		AppendV2(nil, &v4),
		AppendV2(nil, &Header{Command: Local}),
		AppendV2(nil, &Header{Command: Proxy, Source: v4.Source, Dest: v4.Dest, TLVs: []byte{4, 0, 1, 0}}),
		AppendV1(nil, &v4),
		AppendV1(nil, &v6),
		[]byte("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"),
		[]byte("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"),
		[]byte("PROXY TCP6 :: :: 0 0\r\n"),
		[]byte("PROXY UNKNOWN\r\n"),
	}
	for _, head := range heads {
		for _, slow := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(append(append([]byte{}, head...), "GET / HTTP/1.1\r\n"...))
			if slow {
				r = oneByteReader{r}
			}
			var h Header
			buf := make([]byte, DefaultMaxV2)
			n, err := Read(r, buf, &h)
			if err != nil || n != len(head) {
				t.Errorf("%q slow=%v: n=%d err=%v", head, slow, n, err)
				continue
			}
			rest, _ := io.ReadAll(r)
			if string(rest) != "GET / HTTP/1.1\r\n" {
				t.Errorf("%q slow=%v: read past the header, left %q", head, slow, rest)
			}
		}
	}
}

func TestReadErrors(t *testing.T) {
	cases := map[string]error{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n":    ErrMissing,
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n....": ErrMalformed,
		"PROXY TCP4 1.2.3.4":                   io.ErrUnexpectedEOF,
		"":                                     io.EOF,
		"PROXY UNKNOWN " + string(bytes.Repeat([]byte{'a'}, 200)): ErrTooLarge,
		string(v2(v2Proxy, famTCP4, make([]byte, 5000))):          ErrTooLarge,
		string(v2(v2Proxy, famTCP4, make([]byte, 8))):             ErrMalformed,
	}
	for in, want := range cases {
		var h Header
		_, err := Read(bytes.NewReader([]byte(in)), make([]byte, DefaultMaxV2), &h)
		if !errors.Is(err, want) {
			t.Errorf("%.40q: %v, want %v", in, err, want)
		}
	}
}
