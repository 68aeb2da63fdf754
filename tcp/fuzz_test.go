package tcp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// FuzzRelay sends arbitrary bytes as a client's, then ends the client's
// side, through four tcp listeners in front of echo origins: a plain
// relay, one expecting a PROXY protocol header, one routing by server
// name (SNI) only, and one doing both. Whatever the bytes:
//
//   - the plain relay sends back exactly what it was sent;
//   - the others send back a tail of it (what follows a PROXY header, the
//     ClientHello read to route replayed whole) or nothing: never a byte
//     the client did not send, never one out of order; when the input
//     starts with a well-formed PROXY header or ClientHello (a seed's),
//     exactly what follows the header comes back;
//   - every connection is closed within 10 s of the client's end, its
//     session ends (Env.Active back to zero) and none panics.
//
// The fixtures' cleanups wait for every goroutine they started, and the
// package's TestMain checks for leaks after the tests (not the fuzzer).
func FuzzRelay(f *testing.F) {
	hello := captured(f)
	v1 := []byte("PROXY TCP4 192.0.2.1 192.0.2.2 51000 443\r\n")
	v2 := proxyV2(f)
	// after returns what must come back of in when in starts with one of
	// heads (a well-formed beginning): in without the head's first
	// skip bytes.
	after := func(in []byte, skip int, heads ...[]byte) ([]byte, bool) {
		for _, h := range heads {
			if bytes.HasPrefix(in, h) {
				return in[min(skip, len(h)):], true
			}
		}
		return nil, false
	}
	v1hello, v2hello := slices.Concat(v1, hello), slices.Concat(v2, hello)
	type target struct {
		name string
		fx   *relayFixture
		// want is what must come back, when known.
		want func(in []byte) ([]byte, bool)
	}
	proxySet := defaultSettings()
	proxySet.ExpectProxy = true
	targets := []target{
		{"plain", newFixture(f, defaultSettings()), func(in []byte) ([]byte, bool) { return in, true }},
		{"expect-proxy", newFixture(f, proxySet), func(in []byte) ([]byte, bool) {
			if w, ok := after(in, len(v1), v1); ok {
				return w, ok
			}
			return after(in, len(v2), v2)
		}},
		{"sni", sniFixtureWith(f, defaultSettings()), func(in []byte) ([]byte, bool) { return after(in, 0, hello) }},
		{"expect-proxy+sni", sniFixtureWith(f, proxySet), func(in []byte) ([]byte, bool) {
			if w, ok := after(in, len(v1), v1hello); ok {
				return w, ok
			}
			return after(in, len(v2), v2hello)
		}},
	}
	for _, in := range [][]byte{
		nil,
		[]byte("ping"),
		append(v1[:len(v1):len(v1)], "ping"...),
		append(v2[:len(v2):len(v2)], "ping"...),
		[]byte("PROXY UNKNOWN\r\nping"),
		[]byte("PROXY TCP4 192.0.2.1 192.0.2.2 51000"), // cut short
		v2[:20],
		hello,
		append(hello[:len(hello):len(hello)], "after"...),
		append(v1[:len(v1):len(v1)], hello...),
		append(v2[:len(v2):len(v2)], hello...),
		hello[:len(hello)/2],
		{0x16, 0x03, 0x01, 0xff, 0xff, 0x01}, // a record longer than the peek allows
	} {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, tg := range targets {
			env := tg.fx.env
			panics := env.Panics.Load()
			c, err := net.Dial("tcp", tg.fx.addr)
			if err != nil {
				t.Fatal(err)
			}
			got := testwait.Converse(t, c, in, 5*time.Millisecond)
			c.Close()
			want, known := tg.want(in)
			switch {
			case known && !bytes.Equal(got, want):
				t.Fatalf("%s: sent %d bytes, %d came back, want %d (%q...)", tg.name, len(in), len(got), len(want), got[:min(len(got), 32)])
			case !bytes.HasSuffix(in, got):
				t.Fatalf("%s: %d bytes came back that are not a tail of the %d sent: %q...", tg.name, len(got), len(in), got[:min(len(got), 32)])
			}
			testwait.For(t, tg.name+": the session ends", func() bool { return env.Active.Load() == 0 })
			if env.Panics.Load() != panics {
				t.Fatalf("%s: the session panicked on %q", tg.name, in)
			}
		}
	})
}

// sniFixtureWith is sniFixture with the listener's settings set.
func sniFixtureWith(tb testing.TB, set *Settings) *relayFixture {
	fx := newFixture(tb, set)
	c := fx.ln.Routes().Default
	fx.ln.SetRoute("", nil)
	fx.ln.SetRoute("a.test", c)
	return fx
}

// proxyV2 is a PROXY protocol v2 header (PROXY, TCP over IPv4) with one
// TLV, written out by hand from the specification.
func proxyV2(tb testing.TB) []byte {
	var b bytes.Buffer
	b.WriteString("\r\n\r\n\x00\r\nQUIT\n")
	b.WriteByte(0x21)                              // version 2, PROXY
	b.WriteByte(0x11)                              // AF_INET, STREAM
	tlv := []byte{0x04, 0x00, 0x03, 'a', 'b', 'c'} // PP2_TYPE_NOOP
	_ = binary.Write(&b, binary.BigEndian, uint16(12+len(tlv)))
	b.Write([]byte{192, 0, 2, 1, 192, 0, 2, 2})
	_ = binary.Write(&b, binary.BigEndian, uint16(51000))
	_ = binary.Write(&b, binary.BigEndian, uint16(443))
	b.Write(tlv)
	if b.Len() != 16+12+len(tlv) {
		tb.Fatal(fmt.Sprint("PROXY v2 header of ", b.Len(), " bytes"))
	}
	return b.Bytes()
}
