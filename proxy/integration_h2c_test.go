package proxy_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestH2CBackendsFromEveryFront: a cluster with http2 set speaks
// cleartext HTTP/2 to its backend for HTTP/1.1 clients (plain and TLS) and
// HTTP/2 clients, streams bodies both ways, and multiplexes them on one
// backend connection.
func TestH2CBackendsFromEveryFront(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	var opened atomic.Int64
	o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			http.Error(w, "not h2: "+r.Proto, 500)
			return
		}
		w.Header().Set("X-Seen", r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("Sluice-Request-Id"))
		if r.Method == http.MethodGet {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			_, _ = w.Write(payload(n)) // length unknown: chunked to HTTP/1.1 clients
			return
		}
		sum, n, _ := hashReader(r.Body)
		fmt.Fprintf(w, "%s %d", sum, n)
	}))
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	o.Config.Protocols = &p // the origin speaks h2c only
	o.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	o.Start()
	t.Cleanup(o.Close)
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: "h2c", HTTP2: true}})
	th.addBackend("h2c", "b0", o.Listener.Addr().String())
	th.addFrontend(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "h2c"})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "shop.test", ClusterID: "h2c"}})
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))

	const size = 3 << 20
	want := sha(payload(size))
	clients := map[string]struct {
		hc    *http.Client
		base  string
		proto string
	}{
		"http/1.1":          {th.HC, "http://" + th.Addr, "http"},
		"http/1.1 over tls": {th.client("shop.test", false), "https://shop.test", "https"},
		"h2":                {th.client("shop.test", true), "https://shop.test", "https"},
	}
	for name, c := range clients {
		req, _ := http.NewRequest("GET", c.base+"/big?n="+strconv.Itoa(size), nil)
		req.Host = "shop.test"
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, n, err := hashReader(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || got != want || n != size || err != nil {
			t.Errorf("%s download: %d, %d bytes, %v", name, resp.StatusCode, n, err)
		}
		if seen := resp.Header.Get("X-Seen"); !strings.HasPrefix(seen, c.proto+" ") ||
			!strings.HasSuffix(seen, resp.Header.Get("Sluice-Request-Id")) {
			t.Errorf("%s: the backend saw %q, response id %q", name, seen, resp.Header.Get("Sluice-Request-Id"))
		}
		for _, hidden := range []bool{false, true} {
			var body io.Reader = bytes.NewReader(payload(size))
			if hidden {
				body = io.MultiReader(body) // chunked from HTTP/1.1 clients
			}
			req, _ := http.NewRequest("POST", c.base+"/up", body)
			req.Host = "shop.test"
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Fatalf("%s upload: %v", name, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != fmt.Sprintf("%s %d", want, size) {
				t.Errorf("%s upload (length hidden %v): %d %q", name, hidden, resp.StatusCode, b)
			}
		}
	}
	if n := opened.Load(); n != 1 {
		t.Errorf("the origin accepted %d connections, want 1 multiplexed one", n)
	}
}
