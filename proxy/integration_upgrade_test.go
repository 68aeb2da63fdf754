package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestUpgradeTunnel has an origin accept a WebSocket upgrade with 101 and
// then echo bytes: the client gets the 101 and talks through the tunnel.
func TestUpgradeTunnel(t *testing.T) {
	h := startProxy(t, nil)
	var mu sync.Mutex
	var seen []string
	o := newRawOrigin(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		head, err := readHead(br)
		if err != nil {
			return
		}
		mu.Lock()
		seen = head
		mu.Unlock()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n")
		io.Copy(c, br) // echo until the client half-closes
	})
	h.route("ws.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n")
	head, err := readHead(c.BR)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(head[0], "HTTP/1.1 101") {
		t.Fatalf("got %q, want a 101", head[0])
	}
	if v := headerValues(head, "Upgrade"); len(v) != 1 || !strings.EqualFold(v[0], "websocket") {
		t.Errorf("101 has Upgrade %q", v)
	}
	if v := headerValues(head, "Sec-WebSocket-Accept"); len(v) != 1 {
		t.Errorf("101 lost Sec-WebSocket-Accept: %q", head)
	}
	mu.Lock()
	if v := headerValues(seen, "Upgrade"); len(v) != 1 || v[0] != "websocket" {
		t.Errorf("origin got Upgrade %q", v)
	}
	if v := headerValues(seen, "Connection"); len(v) != 1 || !strings.EqualFold(v[0], "upgrade") {
		t.Errorf("origin got Connection %q", v)
	}
	mu.Unlock()

	for _, msg := range []string{"hello", "binary\x00\xff frame", strings.Repeat("x", 100_000)} {
		c.write(msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c.BR, got); err != nil {
			t.Fatalf("reading the echo: %v", err)
		}
		if string(got) != msg {
			t.Fatalf("echo of %d bytes differs", len(msg))
		}
	}
	// Half-closing our side ends the tunnel: the origin stops echoing and
	// closes, and the proxy closes our connection.
	c.C.(*net.TCPConn).CloseWrite()
	c.expectClosed(ioTimeout)
}

// TestUpgradeRefused has the origin ignore the upgrade and answer 200: the
// answer passes through and the connection keeps working as HTTP.
func TestUpgradeRefused(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "plain", nil)
	h.route("ws.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
	if body != "plain /chat" {
		t.Errorf("body %q", body)
	}
	c.write("GET /next HTTP/1.1\r\nHost: ws.test\r\n\r\n")
	resp, body = c.read("GET")
	wantStatus(t, resp, body, 200)
	if body != "plain /next" {
		t.Errorf("body %q", body)
	}
}

// TestUpgradeH2CNotForwarded checks that an h2c upgrade request reaches the
// origin as a plain request, without Upgrade or HTTP2-Settings.
func TestUpgradeH2CNotForwarded(t *testing.T) {
	h := startProxy(t, nil)
	got := make(chan http.Header, 1)
	o := newOrigin(t, "plain", func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		io.WriteString(w, "ok")
	})
	h.route("h2c.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET / HTTP/1.1\r\nHost: h2c.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
	hdr := <-got
	for _, name := range []string{"Upgrade", "Http2-Settings", "Connection"} {
		if v, ok := hdr[name]; ok {
			t.Errorf("origin got %s: %q", name, v)
		}
	}
	// Still HTTP on the same connection.
	c.write("GET / HTTP/1.1\r\nHost: h2c.test\r\n\r\n")
	resp, body = c.read("GET")
	wantStatus(t, resp, body, 200)
	<-got
}
