package proxyproto

import (
	"bytes"
	"errors"
	"testing"
)

// The seed corpora are in testdata/fuzz/FuzzParseV1 and FuzzParseV2; the
// seeds added here are the headers the other tests build.

// FuzzParseV1: ParseV1 never panics, never claims more bytes than it was
// given or than MaxV1, and what it accepts writes back (AppendV1) to a
// header that parses to the same addresses. Read agrees with it.
func FuzzParseV1(f *testing.F) {
	f.Add([]byte("PROXY TCP4 192.168.0.1 10.0.0.2 56324 443\r\n"))
	f.Add([]byte("PROXY TCP6 2001:db8::1 ::1 65535 0\r\nGET"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		n, err := ParseV1(b, &h)
		checkRead(t, b, n, err)
		if err != nil {
			if err != ErrIncomplete && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v wraps neither ErrIncomplete nor ErrMalformed", err)
			}
			return
		}
		if n > len(b) || n > MaxV1 || b[n-1] != '\n' {
			t.Fatalf("n=%d for %d bytes", n, len(b))
		}
		out := AppendV1(nil, &h)
		var back Header
		if k, err := ParseV1(out, &back); err != nil || k != len(out) {
			t.Fatalf("%q written back as %q: %v", b[:n], out, err)
		}
		checkSame(t, "v1", &h, &back, false)
	})
}

// FuzzParseV2: ParseV2 never panics or over-claims, and what it accepts
// writes back (AppendV2) to a header with the same command, addresses and
// TLVs. Read agrees with it.
func FuzzParseV2(f *testing.F) {
	f.Add(AppendV2(nil, &Header{Command: Proxy, Source: ap("192.0.2.1:1"), Dest: ap("192.0.2.2:2")}))
	f.Add(AppendV2(nil, &Header{Command: Proxy, Source: ap("[::1]:1"), Dest: ap("[::2]:2"), TLVs: []byte{4, 0, 1, 9}}))
	f.Add(AppendV2(nil, &Header{Command: Local}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		n, err := ParseV2(b, &h, 0)
		checkRead(t, b, n, err)
		if err != nil {
			if err != ErrIncomplete && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v wraps neither ErrIncomplete nor ErrMalformed", err)
			}
			return
		}
		if n > len(b) || n > DefaultMaxV2 || n < v2Fixed {
			t.Fatalf("n=%d for %d bytes", n, len(b))
		}
		out := AppendV2(nil, &h)
		var back Header
		if k, err := ParseV2(out, &back, 0); err != nil || k != len(out) {
			t.Fatalf("%x written back as %x: %v", b[:n], out, err)
		}
		checkSame(t, "v2", &h, &back, true)
	})
}

// checkRead checks that Read, fed b, agrees with Parse's verdict (n, err):
// same length when Parse accepts, an error when Parse refuses.
func checkRead(t *testing.T, b []byte, n int, err error) {
	t.Helper()
	var h Header
	k, rerr := Read(bytes.NewReader(b), make([]byte, DefaultMaxV2), &h)
	switch {
	case err == nil && (rerr != nil || k != n):
		t.Fatalf("Parse took %d bytes; Read took %d: %v", n, k, rerr)
	case err != nil && rerr == nil:
		t.Fatalf("Parse refused (%v); Read took %d bytes", err, k)
	}
}
