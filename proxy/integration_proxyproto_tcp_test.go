package proxy_test

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/order"
)

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestTCPSendProxy: a send_proxy cluster's backend gets a v2 header naming
// the real client address and the listener address, then the bytes.
func TestTCPSendProxy(t *testing.T) {
	heads := make(chan proxyproto.Header, 1)
	o := headerOrigin(t, heads)
	h := startTCP(t, nil, func(c *order.Cluster) { c.SendProxy = true }, o.Addr)
	c := dialTCP(t, h.TCP)
	if got := roundTrip(t, c, "payload"); got != "payload" {
		t.Fatal(got)
	}
	hd := <-heads
	if hd.Version != 2 || hd.Command != proxyproto.Proxy {
		t.Fatalf("origin got %+v", hd)
	}
	if want := mustAddrPort(c.LocalAddr().String()); hd.Source != want {
		t.Errorf("source %v, want the client's %v", hd.Source, want)
	}
	if want := mustAddrPort(h.TCP); hd.Dest != want {
		t.Errorf("destination %v, want the listener's %v", hd.Dest, want)
	}
}

// TestTCPExpectProxy: a tcp listener that expects the PROXY protocol
// accepts v1 and v2 headers and, with a send_proxy cluster, relays the
// client's header (addresses and TLVs) to the backend; a LOCAL header is
// relayed as LOCAL.
func TestTCPExpectProxy(t *testing.T) {
	heads := make(chan proxyproto.Header, 1)
	o := headerOrigin(t, heads)
	h := startTCP(t, func(l *order.Listener) { l.ExpectProxy = true },
		func(c *order.Cluster) { c.SendProxy = true }, o.Addr)
	tlvs := []byte{0x02, 0x00, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'} // PP2_TYPE_AUTHORITY
	in := []proxyproto.Header{
		{Command: proxyproto.Proxy, Source: mustAddrPort("203.0.113.9:4711"), Dest: mustAddrPort("198.51.100.1:443"), TLVs: tlvs},
		{Command: proxyproto.Proxy, Source: mustAddrPort("[2001:db8::7]:1"), Dest: mustAddrPort("[2001:db8::1]:2")},
		{Command: proxyproto.Local},
	}
	for _, hd := range in {
		for _, v1 := range []bool{false, true} {
			if v1 && (hd.Command == proxyproto.Local || hd.TLVs != nil) {
				continue // no v1 form
			}
			head := proxyproto.AppendV2(nil, &hd)
			if v1 {
				head = proxyproto.AppendV1(nil, &hd)
			}
			c := dialTCP(t, h.TCP)
			// Header and data in one write: the data must not be lost.
			c.Write(append(head, "data"...))
			got := make([]byte, 4)
			if _, err := io.ReadFull(c, got); err != nil || string(got) != "data" {
				t.Fatalf("%q: echo %q %v", head, got, err)
			}
			out := <-heads
			if out.Command != hd.Command || out.Source != hd.Source || out.Dest != hd.Dest || !bytes.Equal(out.TLVs, hd.TLVs) {
				t.Errorf("sent %q; origin got %+v", head, out)
			}
			c.Close()
		}
	}
}

// TestTCPExpectProxyRefused: without a valid header the connection is
// closed and nothing reaches a backend: no header, a malformed one, one
// cut short by the client, one that never completes.
func TestTCPExpectProxyRefused(t *testing.T) {
	o := echoOrigin(t)
	h := startTCP(t, func(l *order.Listener) {
		l.ExpectProxy = true
		l.RequestTimeout = order.Duration(300 * time.Millisecond)
	}, nil, o.Addr)
	cases := map[string]struct {
		send      string
		halfClose bool
	}{
		"missing":   {send: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		"malformed": {send: "PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\nhello"},
		"bad v2":    {send: "\r\n\r\n\x00\r\nQUIT\n\x21\x12\x00\x0c" + string(make([]byte, 12)) + "hello"},
		"cut short": {send: "PROXY TCP4 1.2.3.4", halfClose: true},
		"stalled":   {send: "PROXY TCP4 1.2.3.4"},
	}
	for name, tc := range cases {
		c := dialTCP(t, h.TCP)
		io.WriteString(c, tc.send)
		if tc.halfClose {
			c.CloseWrite()
		}
		start := time.Now()
		if n, err := c.Read(make([]byte, 64)); err == nil {
			t.Errorf("%s: read %d bytes", name, n)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s: closed after %v", name, took)
		}
	}
	if n := o.Accepted.Load(); n != 0 {
		t.Errorf("the origin got %d connections", n)
	}
	// A good header still works.
	c := dialTCP(t, h.TCP)
	hd := proxyproto.Header{Command: proxyproto.Proxy, Source: mustAddrPort("192.0.2.1:1"), Dest: mustAddrPort("192.0.2.2:2")}
	c.Write(proxyproto.AppendV2(nil, &hd))
	if got := roundTrip(t, c, "ok"); got != "ok" {
		t.Fatal(got)
	}
}
