package proxy_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// TestHardStopCutsPooledBackendConnection: a hard stop with a request in
// flight on a pooled (reused) backend connection ends Run promptly, over
// HTTP/1.1 and HTTP/2. Cutting such a connection looks to the exchange like
// a pooled connection that died while idle, which it replays on a new
// connection; that replay must be cut too, not left to wait for the
// backend (back_timeout here is 30 s).
func TestHardStopCutsPooledBackendConnection(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		name := "http1"
		if h2 {
			name = "h2"
		}
		t.Run(name, func(t *testing.T) { hardStopPooled(t, h2) })
	}
}

func hardStopPooled(t *testing.T, h2 bool) {
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select { // until the proxy cuts the connection, or the test ends
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		}
		io.WriteString(w, "fast")
	})
	ca := testcert.NewCA()
	leaf := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	addr := freeAddr(t)
	proto := order.HTTP
	if h2 {
		proto = order.HTTPS
	}
	client, end := proxy.NewChannel(16)
	done := make(chan error, 1)
	go func() {
		done <- proxy.Run(context.Background(), proxy.Config{Logger: testLogger(), ShutdownGrace: time.Minute,
			BackTimeout: 30 * time.Second,
			Listeners:   []order.Listener{{Protocol: proto, Address: addr, Active: true}}}, end)
	}()
	do := func(o order.Order) order.Response {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		return must(t)(client.Do(ctx, o))
	}
	do(order.AddCluster{Cluster: order.Cluster{ID: "shop"}})
	if h2 {
		do(order.AddCertificate{Address: addr, Certificate: order.CertificateAndKey{Certificate: leaf.Cert, Key: leaf.Key}})
		do(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "shop.test", ClusterID: "shop"}})
	} else {
		do(order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: addr, Hostname: "shop.test", ClusterID: "shop"}})
	}
	do(order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "b0", Address: o.Addr}})
	backend := func() order.BackendStatus {
		return do(order.ListBackends{ClusterID: "shop"}).Content.Backends[0]
	}

	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: "shop.test"},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
	}
	var p http.Protocols
	if h2 {
		p.SetHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	tr.Protocols = &p
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	scheme := "http://"
	if h2 {
		scheme = "https://"
	}
	resp, err := hc.Get(scheme + "shop.test/fast")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	eventually(t, ioTimeout, "the backend connection pooled", func() bool { return backend().IdleConnections == 1 })

	result := make(chan error, 1)
	go func() {
		resp, err := hc.Get(scheme + "shop.test/slow")
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		result <- err
	}()
	eventually(t, ioTimeout, "the slow request on the pooled connection", func() bool {
		b := backend()
		return b.InFlight == 1 && b.IdleConnections == 0
	})
	began := time.Now()
	do(order.Shutdown{Hard: true})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5 s after a hard shutdown: the request on the pooled backend connection was not cut")
	}
	t.Logf("Run returned %v after the hard shutdown", time.Since(began))
	if err := <-result; err == nil {
		t.Error("the slow request completed")
	}
}
