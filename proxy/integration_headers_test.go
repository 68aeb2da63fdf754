package proxy_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
)

// TestForwardedHeaders checks the fields the proxy adds to requests, the
// client fields it keeps or replaces, and that hop-by-hop fields are
// removed both ways.
func TestForwardedHeaders(t *testing.T) {
	h := startProxy(t, nil)
	heads := make(chan []string, 4)
	o := newRawOrigin(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			head, err := readHead(br)
			if err != nil {
				return
			}
			heads <- head
			io.WriteString(c, "HTTP/1.1 200 OK\r\n"+
				"Connection: X-Resp-Secret, keep-alive\r\n"+
				"Keep-Alive: timeout=5\r\n"+
				"X-Resp-Secret: s\r\n"+
				"Proxy-Connection: keep-alive\r\n"+
				"TE: trailers\r\n"+
				"Sluice-Request-Id: forged-by-origin\r\n"+
				"X-Normal: ok\r\n"+
				"Content-Length: 2\r\n\r\nok")
		}
	})
	h.route("app.test", o.Addr)
	_, port, _ := net.SplitHostPort(h.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET /path?q=1 HTTP/1.1\r\n" +
		"Host: app.test\r\n" +
		"X-Forwarded-For: 203.0.113.7\r\n" +
		"X-Forwarded-Proto: https\r\n" +
		"X-Forwarded-Port: 9999\r\n" +
		"Forwarded: for=198.51.100.1;proto=https\r\n" +
		"X-Request-Id: client-id-1\r\n" +
		"Sluice-Request-Id: forged-by-client\r\n" +
		"Connection: X-Secret\r\n" +
		"X-Secret: hidden\r\n" +
		"Keep-Alive: timeout=5\r\n" +
		"TE: trailers\r\n" +
		"Proxy-Connection: keep-alive\r\n" +
		"X-Custom: kept\r\n" +
		"\r\n")
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
	head := <-heads

	if head[0] != "GET /path?q=1 HTTP/1.1" {
		t.Errorf("request line %q", head[0])
	}
	one := func(name, want string) {
		t.Helper()
		v := headerValues(head, name)
		if len(v) != 1 || v[0] != want {
			t.Errorf("origin got %s %q, want [%q]", name, v, want)
		}
	}
	one("Host", "app.test")
	one("X-Forwarded-For", "203.0.113.7, 127.0.0.1")
	one("X-Forwarded-Proto", "http")
	one("X-Forwarded-Port", port)
	one("Forwarded", "for=198.51.100.1;proto=https, for=127.0.0.1;proto=http;by=127.0.0.1")
	one("X-Request-Id", "client-id-1")
	one("X-Custom", "kept")
	one("Sluice-Request-Id", resp.Header.Get("Sluice-Request-Id"))
	if id := resp.Header.Get("Sluice-Request-Id"); id == "" || id == "forged-by-client" || id == "forged-by-origin" {
		t.Errorf("response Sluice-Request-Id %q", id)
	}
	for _, name := range []string{"Connection", "X-Secret", "Keep-Alive", "TE", "Proxy-Connection"} {
		if v := headerValues(head, name); len(v) > 0 {
			t.Errorf("hop-by-hop %s reached the origin: %q", name, v)
		}
	}

	// The response, the other way.
	if v := resp.Header.Values("Sluice-Request-Id"); len(v) != 1 {
		t.Errorf("response has Sluice-Request-Id %q", v)
	}
	if resp.Header.Get("X-Normal") != "ok" {
		t.Errorf("response lost X-Normal: %v", resp.Header)
	}
	for _, name := range []string{"X-Resp-Secret", "Keep-Alive", "TE", "Proxy-Connection"} {
		if v := resp.Header.Values(name); len(v) > 0 {
			t.Errorf("hop-by-hop response field %s reached the client: %q", name, v)
		}
	}
	if v := resp.Header.Get("Connection"); v != "" && !strings.EqualFold(v, "keep-alive") {
		t.Errorf("response Connection %q", v)
	}

	// Without client-sent forwarding fields, the proxy's values stand alone;
	// each request gets its own id.
	c.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
	resp2, body := c.read("GET")
	wantStatus(t, resp2, body, 200)
	head = <-heads
	one("X-Forwarded-For", "127.0.0.1")
	one("Forwarded", "for=127.0.0.1;proto=http;by=127.0.0.1")
	one("Sluice-Request-Id", resp2.Header.Get("Sluice-Request-Id"))
	if resp2.Header.Get("Sluice-Request-Id") == resp.Header.Get("Sluice-Request-Id") {
		t.Errorf("two requests share the id %s", resp.Header.Get("Sluice-Request-Id"))
	}
	if v := headerValues(head, "X-Request-Id"); len(v) != 0 {
		t.Errorf("X-Request-Id %q invented", v)
	}
}
