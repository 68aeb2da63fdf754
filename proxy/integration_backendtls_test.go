package proxy_test

import (
	"bufio"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// newTLSOrigin starts an origin (see newOrigin) serving TLS with a leaf of
// ca for names; mod may change its TLS configuration (to ask for client
// certificates).
func newTLSOrigin(t testing.TB, name string, ca *testcert.CA, names []string, mod func(*tls.Config)) *origin {
	t.Helper()
	o := newUnstartedOrigin(t, name, func(w http.ResponseWriter, r *http.Request) {
		sub := "-"
		if len(r.TLS.PeerCertificates) > 0 {
			sub = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.Header().Set("X-Origin-TLS", r.TLS.ServerName+" "+r.TLS.NegotiatedProtocol+" "+sub)
		w.Write([]byte(name + " " + r.URL.Path))
	})
	leaf := ca.Leaf(names, testcert.Options{})
	c, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
	if err != nil {
		t.Fatal(err)
	}
	o.TLS = &tls.Config{Certificates: []tls.Certificate{c}}
	if mod != nil {
		mod(o.TLS)
	}
	o.StartTLS()
	o.Addr = o.Listener.Addr().String()
	return o
}

// backendTLS is the TLS setting of a cluster that trusts ca.
func backendTLS(ca *testcert.CA) *order.BackendTLS { return &order.BackendTLS{CA: ca.PEM} }

// A cluster speaks TLS to a net/http TLS origin, verifying it against a CA
// bundle with the backend's host as SNI or a configured server name,
// keeping its connections pooled; a certificate from another CA is
// refused with 502 and counted; insecure_skip_verify accepts it.
func TestBackendTLSVerifiesAndPools(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		ca := testcert.NewCA()
		o := newTLSOrigin(t, "secure", ca, []string{"localhost", "127.0.0.1"}, nil)
		_, port, _ := net.SplitHostPort(o.Addr)
		id := f.route("example.com", "localhost:"+port)
		f.Must(order.UpdateCluster{ID: id, TLS: order.Some(backendTLS(ca))})
		const n = 20
		for i := range n {
			resp, body := f.get("example.com", "/p")
			wantStatus(t, resp, body, 200)
			if body != "secure /p" || resp.Header.Get("X-Origin-TLS") != "localhost http/1.1 -" {
				t.Fatalf("request %d: %q, origin saw %q", i, body, resp.Header.Get("X-Origin-TLS"))
			}
		}
		// As TestKeepAliveBothSides: a response may reach the client just
		// before its connection is back in the pool.
		if c := o.Opened.Load(); c > 3 {
			t.Errorf("%d requests in a row opened %d TLS connections to the origin: not pooled", n, c)
		}

		// An update of other settings keeps the pooled TLS connections.
		idle := func() int {
			for _, b := range f.Must(order.ListBackends{ClusterID: id}).Content.Backends {
				return b.IdleConnections
			}
			return 0
		}
		eventually(t, ioTimeout, "a pooled connection", func() bool { return idle() >= 1 })
		opened := o.Opened.Load()
		f.Must(order.UpdateCluster{ID: id, LoadBalancing: order.Some(order.Random)})
		resp, body := f.get("example.com", "/p")
		wantStatus(t, resp, body, 200)
		if n := o.Opened.Load(); n != opened {
			t.Errorf("after an update of the load balancing, a new TLS connection (%d, was %d)", n, opened)
		}

		// A configured server name, for a backend given as an IP address.
		named := newTLSOrigin(t, "named", ca, []string{"api.internal"}, nil)
		id2 := f.route("named.test", named.Addr)
		f.Must(order.UpdateCluster{ID: id2, TLS: order.Some(&order.BackendTLS{CA: ca.PEM, ServerName: "api.internal"})})
		resp, body = f.get("named.test", "/")
		wantStatus(t, resp, body, 200)
		if got := resp.Header.Get("X-Origin-TLS"); got != "api.internal http/1.1 -" {
			t.Errorf("origin saw %q", got)
		}
		// Without the name, the IP is verified: not in the certificate.
		f.Must(order.UpdateCluster{ID: id2, TLS: order.Some(backendTLS(ca))})
		resp, body = f.get("named.test", "/")
		wantStatus(t, resp, body, 502)

		// Another CA's certificate: 502, counted as a TLS error.
		other := testcert.NewCA()
		rogue := newTLSOrigin(t, "rogue", other, []string{"127.0.0.1"}, nil)
		id3 := f.route("rogue.test", rogue.Addr)
		f.Must(order.UpdateCluster{ID: id3, TLS: order.Some(backendTLS(ca))})
		resp, body = f.get("rogue.test", "/")
		wantStatus(t, resp, body, 502)
		if rogue.Requests.Load() != 0 {
			t.Error("the request reached an origin whose certificate did not verify")
		}
		// The backend stays up: a TLS failure is no connect failure.
		resp, body = f.get("rogue.test", "/")
		wantStatus(t, resp, body, 502)
		// insecure_skip_verify takes anything.
		f.Must(order.UpdateCluster{ID: id3, TLS: order.Some(&order.BackendTLS{InsecureSkipVerify: true})})
		resp, body = f.get("rogue.test", "/")
		wantStatus(t, resp, body, 200)
		// Plain again: the TLS origin answers plain HTTP with 400.
		f.Must(order.UpdateCluster{ID: id3, TLS: order.Some[*order.BackendTLS](nil)})
		resp, _ = f.get("rogue.test", "/")
		if resp.StatusCode == 200 {
			t.Error("plain HTTP to a TLS origin answered 200")
		}
	})
}

// An origin that requires a client certificate refuses the cluster until
// it has one; then it sees the proxy's certificate.
func TestBackendTLSClientCertificate(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		ca := testcert.NewCA()
		clients := testcert.NewCA()
		o := newTLSOrigin(t, "mtls", ca, []string{"127.0.0.1"}, func(c *tls.Config) {
			c.ClientAuth = tls.RequireAndVerifyClientCert
			c.ClientCAs = clients.Pool
		})
		id := f.route("example.com", o.Addr)
		f.Must(order.UpdateCluster{ID: id, TLS: order.Some(backendTLS(ca))})
		resp, body := f.get("example.com", "/")
		wantStatus(t, resp, body, 502)

		// A certificate of a CA the origin does not trust: refused too.
		stranger := ca.Leaf([]string{"sluice-proxy"}, testcert.Options{Client: true})
		f.Must(order.UpdateCluster{ID: id, TLS: order.Some(&order.BackendTLS{CA: ca.PEM,
			ClientCertificate: stranger.Cert, ClientKey: stranger.Key})})
		resp, body = f.get("example.com", "/")
		wantStatus(t, resp, body, 502)

		me := clients.Leaf([]string{"sluice-proxy"}, testcert.Options{Client: true})
		f.Must(order.UpdateCluster{ID: id, TLS: order.Some(&order.BackendTLS{CA: ca.PEM,
			ClientCertificate: me.Cert, ClientKey: me.Key})})
		for range 3 {
			resp, body = f.get("example.com", "/")
			wantStatus(t, resp, body, 200)
			if got := resp.Header.Get("X-Origin-TLS"); !strings.HasSuffix(got, " sluice-proxy") {
				t.Errorf("origin saw %q", got)
			}
		}
		// The key is not listed, nor dumped unless asked.
		keyOf := func(cs []order.Cluster) string {
			for _, c := range cs {
				if c.ID == id && c.TLS != nil {
					return c.TLS.ClientKey
				}
			}
			return "none"
		}
		if k := keyOf(f.Must(order.ListClusters{}).Content.Clusters); k != order.OmittedKey {
			t.Errorf("list_clusters shows the key: %q", k)
		}
		if k := keyOf(f.Must(order.DumpState{}).Content.State.Clusters); k != order.OmittedKey {
			t.Errorf("dump_state shows the key: %q", k)
		}
		if k := keyOf(f.Must(order.DumpState{WithKeys: true}).Content.State.Clusters); k != me.Key {
			t.Errorf("dump_state with_keys: %q", k)
		}
	})
}

// A refused backend certificate is logged with the reason and counted in
// the cluster's TLS errors, not its connect errors.
func TestBackendTLSFailureLoggedAndCounted(t *testing.T) {
	var logs syncBuffer
	h := startProxy(t, func(c *proxy.Config) {
		c.Metrics = metrics.NewRegistry()
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	rogue := newTLSOrigin(t, "rogue", testcert.NewCA(), []string{"127.0.0.1"}, nil)
	id := h.route("rogue.test", rogue.Addr)
	h.Must(order.UpdateCluster{ID: id, TLS: order.Some(backendTLS(testcert.NewCA()))})
	resp, body := h.get("rogue.test", "/")
	wantStatus(t, resp, body, 502)
	var m *order.MetricsContent
	eventually(t, ioTimeout, "the 502 to be counted", func() bool {
		m = h.Must(order.Metrics{ClusterID: id}).Content.Metrics
		return len(m.Clusters) == 1 && m.Clusters[0].Responses.ServerError == 1
	})
	if c := m.Clusters[0]; c.Errors.TLS != 1 || c.Errors.Connect != 0 || c.BackendsUp != 1 {
		t.Errorf("cluster metrics %+v", c)
	}
	if got := logs.String(); !strings.Contains(got, "backend TLS handshake with 127.0.0.1") ||
		!strings.Contains(got, "certificate signed by unknown authority") {
		t.Errorf("log:\n%s", got)
	}
}

// The health check of a TLS cluster speaks TLS: a TLS origin passes it,
// and one whose certificate does not verify fails it.
func TestBackendTLSHealthCheck(t *testing.T) {
	h := startProxy(t, nil)
	ca := testcert.NewCA()
	good := newTLSOrigin(t, "good", ca, []string{"127.0.0.1"}, nil)
	rogue := newTLSOrigin(t, "rogue", testcert.NewCA(), []string{"127.0.0.1"}, nil)
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "c", TLS: backendTLS(ca),
		// A probe's timeout is capped at the interval: 1 s leaves a TLS
		// handshake under -race on a loaded machine room (100 ms did not).
		HealthCheck: &order.HealthCheck{Interval: order.Duration(time.Second), Rise: 1, Fall: 1}}})
	h.addBackend("c", "good", good.Addr)
	h.addBackend("c", "rogue", rogue.Addr)
	check := func(id string) string {
		for _, b := range h.Must(order.ListBackends{ClusterID: "c"}).Content.Backends {
			if b.ID == id {
				return b.Check
			}
		}
		return ""
	}
	eventually(t, ioTimeout, "both backends checked", func() bool { return check("good") != "" && check("rogue") != "" })
	if g, r := check("good"), check("rogue"); g != "ok" || r != "failed" {
		t.Errorf("checks: good %q, rogue %q", g, r)
	}
	if good.Requests.Load() == 0 || rogue.Requests.Load() != 0 {
		t.Errorf("requests: good %d, rogue %d", good.Requests.Load(), rogue.Requests.Load())
	}
}

// A send_proxy cluster with TLS sends its PROXY header in the clear,
// then the TLS handshake, on every new backend connection.
func TestBackendTLSAfterProxyHeader(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		ca := testcert.NewCA()
		leaf := ca.Leaf([]string{"127.0.0.1"}, testcert.Options{})
		pair, _ := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
		srcs := make(chan string, 4)
		o := newRawOrigin(t, func(c net.Conn) {
			var h proxyproto.Header
			if _, err := proxyproto.Read(c, make([]byte, 256), &h); err != nil {
				srcs <- "no PROXY header: " + err.Error()
				return
			}
			srcs <- h.Source.Addr().String()
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{pair}})
			br := bufio.NewReader(tc)
			if _, err := readHead(br); err != nil {
				return
			}
			tc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
			tc.Close()
		})
		id := f.route("example.com", o.Addr)
		f.Must(order.UpdateCluster{ID: id, SendProxy: order.Some(true), TLS: order.Some(backendTLS(ca))})
		resp, body := f.get("example.com", "/")
		wantStatus(t, resp, body, 200)
		if body != "ok" {
			t.Errorf("body %q", body)
		}
		if src := <-srcs; src != "127.0.0.1" {
			t.Errorf("origin: %s", src)
		}
	})
}
