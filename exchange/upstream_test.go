package exchange

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/listener"
)

// fields builds request fields from "Name: value" lines, classified.
func fields(lines ...string) []h1.Header {
	var fs []h1.Header
	for _, l := range lines {
		n, v, _ := strings.Cut(l, ": ")
		fs = append(fs, h1.Header{Name: []byte(n), Value: []byte(v), Kind: h1.ClassifyHeader([]byte(n))})
	}
	return fs
}

// TestUpstreamHead: the head sent to an HTTP/1.1 backend, byte for byte,
// from the one header table.
func TestUpstreamHead(t *testing.T) {
	ln := listener.NewHTTP("192.0.2.1:8080", &listener.Settings{Proto: "http"})
	tail := "X-Forwarded-For: %XFF%198.51.100.7\r\nForwarded: %FWD%for=198.51.100.7;proto=http;by=192.0.2.1\r\n" +
		"X-Forwarded-Proto: http\r\nX-Forwarded-Port: 8080\r\nSluice-Request-Id: 01234567-000000000001\r\n"
	for _, tc := range []struct {
		name   string
		req    Request
		sticky bool
		want   string // the head without tail, then tail's placeholders, then the rest
		xff    string
		fwd    string
		after  string
	}{
		{name: "hop-by-hop and framing fields go, Host is the routed authority",
			req: Request{Method: []byte("GET"), Target: []byte("/a?b"), Host: []byte("shop.test"), ContentLength: -1, Minor: 1,
				Fields: fields("Host: shop.test", "Connection: keep-alive, X-Secret", "Keep-Alive: 5", "X-Secret: 1",
					"TE: trailers", "Upgrade: websocket", "Proxy-Connection: x", "Trailer: X", "Accept: */*",
					"Sluice-Request-Id: forged", "X-Forwarded-Proto: https", "X-Forwarded-Port: 1", "HTTP2-Settings: AA")},
			want: "GET /a?b HTTP/1.1\r\nHost: shop.test\r\nAccept: */*\r\n"},
		{name: "one normalised Content-Length",
			req: Request{Method: []byte("POST"), Target: []byte("/"), Host: []byte("h"), ContentLength: 5, Minor: 1,
				Fields: fields("Content-Length: 5, 5", "Content-Length: 5")},
			want: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"},
		{name: "chunked alone",
			req: Request{Method: []byte("POST"), Target: []byte("/"), Host: []byte("h"), ContentLength: -1, Unsized: true, Minor: 1,
				Fields: fields("Transfer-Encoding: Chunked")},
			want: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"},
		{name: "forwarding fields appended to",
			req: Request{Method: []byte("GET"), Target: []byte("/"), Host: []byte("h"), ContentLength: -1, Minor: 1,
				Fields: fields("X-Forwarded-For: 10.0.0.1", "Forwarded: for=10.0.0.1", "X-Forwarded-For: 10.0.0.2")},
			want: "GET / HTTP/1.1\r\nHost: h\r\n", xff: "10.0.0.1, 10.0.0.2, ", fwd: "for=10.0.0.1, "},
		{name: "cookies joined, the sticky one left out",
			req: Request{Method: []byte("GET"), Target: []byte("/"), Host: []byte("h"), ContentLength: -1, Minor: 1,
				Fields: fields("Cookie: a=1; SLUICEBALANCEID=b2", "Cookie: c=3")},
			sticky: true,
			want:   "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; c=3\r\n"},
		{name: "only the sticky cookie: no Cookie field",
			req: Request{Method: []byte("GET"), Target: []byte("/"), Host: []byte("h"), ContentLength: -1, Minor: 1,
				Fields: fields("Cookie: SLUICEBALANCEID=b2")},
			sticky: true,
			want:   "GET / HTTP/1.1\r\nHost: h\r\n"},
		{name: "cookies kept when the cluster is not sticky",
			req: Request{Method: []byte("GET"), Target: []byte("/"), Host: []byte("h"), ContentLength: -1, Minor: 1,
				Fields: fields("Cookie: SLUICEBALANCEID=b2")},
			want: "GET / HTTP/1.1\r\nHost: h\r\nCookie: SLUICEBALANCEID=b2\r\n"},
		{name: "an upgrade",
			req: Request{Method: []byte("GET"), Target: []byte("/ws"), Host: []byte("h"), ContentLength: -1, Minor: 1,
				Upgrade: []byte("websocket"), Fields: fields("Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: k")},
			want:  "GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\n",
			after: "Connection: upgrade\r\nUpgrade: websocket\r\n"},
		{name: "an HTTP/1.0 client without Host",
			req:  Request{Method: []byte("GET"), Target: []byte("/"), ContentLength: -1, Minor: 0},
			want: "GET / HTTP/1.0\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := &Exchange{Ln: ln, Set: ln.Settings(), Req: tc.req,
				Client: &Client{Addr: netip.MustParseAddrPort("198.51.100.7:5000")}}
			copy(x.ID[:], "01234567-000000000001")
			x.dec.Sticky = tc.sticky
			want := tc.want + strings.NewReplacer("%XFF%", tc.xff, "%FWD%", tc.fwd).Replace(tail) + tc.after + "\r\n"
			if got := string(x.appendUpstream(nil)); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestResponseFields: hop-by-hop, framing and forged request-id fields of
// a backend's response never reach the client; the proxy's own are added.
func TestResponseFields(t *testing.T) {
	ln := listener.NewHTTP("192.0.2.1:8080", &listener.Settings{Proto: "http"})
	x := &Exchange{Ln: ln, Set: ln.Settings(), Client: &Client{}}
	copy(x.ID[:], "01234567-000000000001")
	raw := "HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nTransfer-Encoding: chunked\r\n" +
		"Sluice-Request-Id: forged\r\nSet-Cookie: a=1\r\nUpgrade: h2c\r\nX-Kept: 2\r\n\r\n"
	if _, err := h1.ParseResponse([]byte(raw), &x.resp, h1.Limits{}); err != nil {
		t.Fatal(err)
	}
	x.setCookie = []byte("S=b1; Path=/; HttpOnly")
	h := x.backendHead(Chunked)
	var got []string
	for _, f := range h.Fields {
		got = append(got, string(f.Name)+": "+string(f.Value))
	}
	want := "Set-Cookie: a=1|X-Kept: 2|Set-Cookie: S=b1; Path=/; HttpOnly|Sluice-Request-Id: 01234567-000000000001"
	if strings.Join(got, "|") != want || h.ContentLength != -1 {
		t.Errorf("fields %q (length %d), want %q", got, h.ContentLength, want)
	}
}

// TestClientIPKeptPerClient: the text of the client's IP is written once
// while an Exchange serves the same client, and again for another one
// (a pooled Exchange, or a PROXY header's address): never a stale one.
func TestClientIPKeptPerClient(t *testing.T) {
	x := &Exchange{Client: &Client{}}
	for _, tc := range []struct{ addr, xff, fwd string }{
		{"198.51.100.7:5000", "198.51.100.7", "198.51.100.7"},
		{"198.51.100.7:5001", "198.51.100.7", "198.51.100.7"},
		{"203.0.113.9:80", "203.0.113.9", "203.0.113.9"},
		{"[2001:db8::1]:443", "2001:db8::1", `"[2001:db8::1]"`},
		{"[fe80::1%an-interface-name-long-enough-to-pass-the-kept-text]:1",
			"fe80::1%an-interface-name-long-enough-to-pass-the-kept-text",
			`"[fe80::1%an-interface-name-long-enough-to-pass-the-kept-text]"`},
		{"10.1.2.3:9", "10.1.2.3", "10.1.2.3"},
	} {
		x.Client.Addr = netip.MustParseAddrPort(tc.addr)
		for range 2 {
			if got := string(x.appendClientIP([]byte("a "))); got != "a "+tc.xff {
				t.Errorf("%s: X-Forwarded-For %q, want %q", tc.addr, got, "a "+tc.xff)
			}
			if got := string(x.appendForwardedNode(nil)); got != tc.fwd {
				t.Errorf("%s: Forwarded node %q, want %q", tc.addr, got, tc.fwd)
			}
		}
	}
	x.Client.Addr = netip.AddrPort{}
	if got := string(x.appendClientIP(nil)); got != "unknown" {
		t.Errorf("no address: %q", got)
	}
}
