package proxy_test

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// expectRefused fails unless the proxy closes c without an answer; what it
// writes first may fail (the close may have come already).
func expectRefused(t *testing.T, c net.Conn, write string) {
	t.Helper()
	_, _ = io.WriteString(c, write)
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	n, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a connection over max_connections_per_ip stayed open")
	}
	if n > 0 {
		t.Fatalf("a connection over max_connections_per_ip got %d bytes", n)
	}
}

// TestMaxConnectionsPerIP: on an http listener, the connection past the
// cap from one IP is closed at once and counted; once one of the others
// closes, the IP is admitted again.
func TestMaxConnectionsPerIP(t *testing.T) {
	const max = 3
	h := startProxy(t, func(c *proxy.Config) { c.MaxConnectionsPerIP = max })
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	open := keepAlive(t, h, max)

	expectRefused(t, dialRaw(t, h.Addr).C, getApp)
	if n := h.status().RefusedConnections; n != 1 {
		t.Fatalf("refused_connections %d; want 1", n)
	}
	open[0].C.Close()
	refused := int64(1)
	eventually(t, slack, "the IP to be admitted again", func() bool {
		c := dialRaw(t, h.Addr)
		_, _ = io.WriteString(c.C, getApp)
		resp, err := http.ReadResponse(c.BR, nil)
		if err != nil {
			refused++ // the closed connection's count not given back yet
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	expectRefused(t, dialRaw(t, h.Addr).C, getApp)
	if n := h.status().RefusedConnections; n != refused+1 {
		t.Fatalf("refused_connections %d; want %d", n, refused+1)
	}
}

// TestMaxConnectionsPerIPProxyProtocol: on a listener that expects the
// PROXY protocol, connections are counted by the header's source.
func TestMaxConnectionsPerIPProxyProtocol(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) {
		expectProxyListener(c)
		c.Listeners[0].MaxConnectionsPerIP = 1
	})
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	from := func(ip string) string { return "PROXY TCP4 " + ip + " 192.0.2.1 4000 80\r\n" }

	first := dialRaw(t, h.Addr)
	first.write(from("203.0.113.1") + getApp)
	resp, body := first.read("GET")
	wantStatus(t, resp, body, 200)
	expectRefused(t, dialRaw(t, h.Addr).C, from("203.0.113.1")+getApp)
	other := dialRaw(t, h.Addr)
	other.write(from("203.0.113.2") + getApp)
	resp, body = other.read("GET")
	wantStatus(t, resp, body, 200)
}

// TestMaxConnectionsPerIPTCPAndTLS: tcp and https listeners close the
// connection past the cap too (the https one before its handshake).
func TestMaxConnectionsPerIPTCPAndTLS(t *testing.T) {
	th := startTCP(t, func(l *order.Listener) { l.MaxConnectionsPerIP = 1 }, nil, echoOrigin(t).Addr)
	first := dialTCP(t, th.TCP)
	if got := roundTrip(t, first, "hello"); got != "hello" {
		t.Fatalf("echo %q", got)
	}
	expectRefused(t, dialTCP(t, th.TCP), "second")
	if n := th.status().RefusedConnections; n != 1 {
		t.Errorf("refused_connections %d on the tcp listener; want 1", n)
	}
	first.Close()
	eventually(t, slack, "the tcp listener to admit the IP again", func() bool {
		c := dialTCP(t, th.TCP)
		defer c.Close()
		_, _ = io.WriteString(c, "x")
		b := make([]byte, 1)
		n, _ := c.Read(b)
		return n == 1
	})

	ca := testcert.NewCA()
	def := ca.Leaf([]string{"default.test"}, testcert.Options{})
	tl := startTLS(t, ca, func(l *order.Listener) { l.Certificate = certOf(def); l.MaxConnectionsPerIP = 1 })
	held, err := tl.handshake(tl.tlsConfig("default.test"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := tl.handshake(tl.tlsConfig("default.test")); err == nil {
		t.Fatal("a second TLS connection from the IP was admitted")
	}
	if n := tl.status().RefusedConnections; n != 1 {
		t.Errorf("refused_connections %d; want 1", n)
	}
}
