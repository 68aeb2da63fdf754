package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestH2StickySessions: over HTTP/2 too, the first response sets the sticky
// cookie, requests carrying it stay on their backend without a new
// Set-Cookie, and the backend never sees the cookie (but sees the others).
func TestH2StickySessions(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, leaked := r.Cookie("SLUICEBALANCEID")
			theme, _ := r.Cookie("theme")
			fmt.Fprintf(w, "%s leaked=%v theme=%v", name, leaked == nil, theme != nil && theme.Value == "dark")
		}
	}
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: "s", StickySession: true}})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "shop.test", ClusterID: "s"}})
	for _, name := range []string{"a", "b", "c"} {
		o := newOrigin(t, name, handler(name))
		th.addBackend("s", name, o.Addr)
	}
	hc := th.client("shop.test", true)
	get := func(cookie string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://shop.test/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
			t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, b)
		}
		return resp, string(b)
	}
	first, body := get("")
	pinned := strings.Fields(body)[0]
	if sc := first.Header.Get("Set-Cookie"); sc != "SLUICEBALANCEID="+pinned+"; Path=/; HttpOnly" {
		t.Fatalf("first response: Set-Cookie %q (served by %s)", sc, pinned)
	}
	for i := range 20 {
		resp, body := get("theme=dark; SLUICEBALANCEID=" + pinned)
		if body != pinned+" leaked=false theme=true" {
			t.Fatalf("request %d: %q, want %s without the sticky cookie", i, body, pinned)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Fatalf("request %d: Set-Cookie %q with a valid cookie", i, sc)
		}
	}
}

// TestH2SendProxy: HTTP/2 streams to a send_proxy cluster open backend
// connections that start with a PROXY v2 header naming the client.
func TestH2SendProxy(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	sources := make(chan string, 8)
	o := newRawOrigin(t, func(c net.Conn) {
		var h proxyproto.Header
		buf := make([]byte, 512)
		if _, err := proxyproto.Read(c, buf, &h); err != nil {
			sources <- "no header: " + err.Error()
			return
		}
		sources <- h.Source.Addr().String()
		if _, err := readHead(bufio.NewReader(c)); err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		}
	})
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: "p", SendProxy: true}})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "shop.test", ClusterID: "p"}})
	th.addBackend("p", "b0", o.Addr)
	resp, err := th.client("shop.test", true).Get("https://shop.test/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, b)
	}
	if src := <-sources; src != "127.0.0.1" {
		t.Fatalf("the backend saw the client as %q", src)
	}
}
