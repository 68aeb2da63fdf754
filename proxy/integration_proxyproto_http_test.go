package proxy_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// expectProxyListener makes the harness's http listener expect the PROXY
// protocol, with a short request timeout.
func expectProxyListener(c *proxy.Config) {
	c.Listeners[0].ExpectProxy = true
	c.Listeners[0].RequestTimeout = order.Duration(500 * time.Millisecond)
}

// TestHTTPExpectProxy: on an http listener that expects the PROXY
// protocol, the header's source address becomes the client address of
// every request on the connection (X-Forwarded-For, Forwarded); a LOCAL
// header keeps the connection's address.
func TestHTTPExpectProxy(t *testing.T) {
	h := startProxy(t, expectProxyListener)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s", r.Header.Get("X-Forwarded-For"), r.Header.Get("Forwarded"))
	})
	h.route("app.test", o.Addr)
	cases := []struct {
		head    []byte
		xff     string
		forward string
	}{
		{[]byte("PROXY TCP4 203.0.113.7 192.0.2.1 4000 80\r\n"), "203.0.113.7", "for=203.0.113.7;"},
		{proxyproto.AppendV2(nil, &proxyproto.Header{Command: proxyproto.Proxy,
			Source: mustAddrPort("[2001:db8::9]:4000"), Dest: mustAddrPort("[2001:db8::1]:80")}),
			"2001:db8::9", `for="[2001:db8::9]";`},
		{proxyproto.AppendV2(nil, &proxyproto.Header{Command: proxyproto.Local}), "127.0.0.1", "for=127.0.0.1;"},
		{[]byte("PROXY UNKNOWN\r\n"), "127.0.0.1", "for=127.0.0.1;"},
	}
	for _, tc := range cases {
		c := dialRaw(t, h.Addr)
		c.write(string(tc.head) + "GET / HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n")
		for i := range 2 { // the address holds for every request of the connection
			resp, body := c.read("GET")
			wantStatus(t, resp, body, 200)
			xff, fwd, _ := strings.Cut(body, "|")
			if xff != "10.1.1.1, "+tc.xff || !strings.HasPrefix(fwd, tc.forward) {
				t.Errorf("%q request %d: X-Forwarded-For %q, Forwarded %q", tc.head, i, xff, fwd)
			}
			c.write("GET / HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n")
		}
	}
}

// TestHTTPExpectProxyRefused: without a valid header the connection is
// closed without an answer and nothing reaches the origin.
func TestHTTPExpectProxyRefused(t *testing.T) {
	h := startProxy(t, expectProxyListener)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	for _, send := range []string{
		"GET / HTTP/1.1\r\nHost: app.test\r\n\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\nGET / HTTP/1.1\r\nHost: app.test\r\n\r\n",
		"PROXY TCP4 1.2", // stalls past the request timeout
	} {
		c := dialRaw(t, h.Addr)
		c.write(send)
		c.expectClosed(3 * time.Second)
	}
	if n := o.Requests.Load(); n != 0 {
		t.Errorf("the origin got %d requests", n)
	}
}

// ppListener reads a PROXY header from each accepted connection and makes
// its source the connection's remote address; it counts connections.
type ppListener struct {
	net.Listener
	accepted atomic.Int64
}

type ppConn struct {
	net.Conn
	remote net.Addr
}

func (c *ppConn) RemoteAddr() net.Addr { return c.remote }

func (l *ppListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.accepted.Add(1)
		var h proxyproto.Header
		c.SetReadDeadline(time.Now().Add(ioTimeout))
		if _, err := proxyproto.Read(c, make([]byte, proxyproto.DefaultMaxV2), &h); err != nil || !h.HasAddrs() {
			c.Close()
			continue
		}
		c.SetReadDeadline(time.Time{})
		return &ppConn{Conn: c, remote: net.TCPAddrFromAddrPort(h.Source)}, nil
	}
}

// TestHTTPSendProxy: the origin behind a send_proxy http cluster gets a v2
// header naming the real client (the PROXY header's client when the
// listener expects one), and backend connections are not pooled.
func TestHTTPSendProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pl := &ppListener{Listener: ln}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.RemoteAddr)
	}))
	srv.Listener = pl
	srv.Start()
	t.Cleanup(srv.Close)

	for _, expect := range []bool{false, true} {
		h := startProxy(t, func(c *proxy.Config) {
			if expect {
				expectProxyListener(c)
			}
		})
		h.Must(order.AddCluster{Cluster: order.Cluster{ID: "pp", SendProxy: true}})
		h.addFrontend(order.HTTPFrontend{Hostname: "app.test", ClusterID: "pp"})
		h.addBackend("pp", "b0", srv.Listener.Addr().String())
		before := pl.accepted.Load()
		c := dialRaw(t, h.Addr)
		want := c.C.LocalAddr().String()
		if expect {
			c.write("PROXY TCP4 198.51.100.20 192.0.2.1 5555 80\r\n")
			want = "198.51.100.20:5555"
		}
		for range 3 {
			c.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
			resp, body := c.read("GET")
			wantStatus(t, resp, body, 200)
			if body != want {
				t.Errorf("expect=%v: origin saw client %q, want %q", expect, body, want)
			}
		}
		if n := pl.accepted.Load() - before; n != 3 {
			t.Errorf("expect=%v: %d backend connections for 3 requests, want 3 (never pooled)", expect, n)
		}
	}
}
