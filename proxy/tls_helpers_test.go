package proxy_test

// Helpers of the https tests: a proxy with an https listener, certificates
// from a test CA, and clients that pick their SNI and protocol.

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// tlsHarness is a harness with an active https listener on TLSAddr.
type tlsHarness struct {
	*harness
	TLSAddr string
	CA      *testcert.CA
}

// startTLS starts a proxy with an http listener and an https listener on
// which mod may set fields (a default certificate, TLS versions, HSTS).
func startTLS(t *testing.T, ca *testcert.CA, mod func(*order.Listener)) *tlsHarness {
	t.Helper()
	return startTLSWith(t, ca, nil, mod)
}

// startTLSWith is startTLS on a proxy whose configuration pmod may change
// first.
func startTLSWith(t *testing.T, ca *testcert.CA, pmod func(*proxy.Config), mod func(*order.Listener)) *tlsHarness {
	t.Helper()
	h := startProxy(t, pmod)
	l := order.Listener{Protocol: order.HTTPS, Address: freeAddr(t), Active: true}
	if mod != nil {
		mod(&l)
	}
	h.Must(order.AddListener{Listener: l})
	return &tlsHarness{harness: h, TLSAddr: l.Address, CA: ca}
}

func certOf(l testcert.Leaf) *order.CertificateAndKey {
	return &order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}
}

// addCert attaches l to the https listener and returns its fingerprint.
func (th *tlsHarness) addCert(l testcert.Leaf) string {
	th.t.Helper()
	th.Must(order.AddCertificate{Address: th.TLSAddr, Certificate: *certOf(l)})
	return sha(l.X509.Raw)
}

// routeTLS sends requests for host on the https listener to backend.
func (th *tlsHarness) routeTLS(host, cluster, backend string) {
	th.t.Helper()
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: cluster}})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: host, ClusterID: cluster}})
	if backend != "" {
		th.addBackend(cluster, "b0", backend)
	}
}

// tlsConfig trusts the test CA and sends sni (none when empty).
func (th *tlsHarness) tlsConfig(sni string, protos ...string) *tls.Config {
	return &tls.Config{RootCAs: th.CA.Pool, ServerName: sni, NextProtos: protos,
		InsecureSkipVerify: sni == "", // no name to verify against
		MinVersion:         tls.VersionTLS10}
}

// handshake opens a TLS connection to the https listener.
func (th *tlsHarness) handshake(cfg *tls.Config) (*tls.Conn, error) {
	d := &net.Dialer{Timeout: ioTimeout}
	return tls.DialWithDialer(d, "tcp", th.TLSAddr, cfg)
}

// served returns the names of the leaf served for sni.
func (th *tlsHarness) served(sni string) []string {
	th.t.Helper()
	cfg := th.tlsConfig(sni)
	cfg.InsecureSkipVerify = true // the test compares names itself
	c, err := th.handshake(cfg)
	if err != nil {
		th.t.Fatalf("handshake with SNI %q: %v", sni, err)
	}
	defer c.Close()
	leaf := c.ConnectionState().PeerCertificates[0]
	return leaf.DNSNames
}

// client returns an HTTP client whose connections all go to the https
// listener with SNI sni, speaking HTTP/2 when h2 is set, else HTTP/1.1.
func (th *tlsHarness) client(sni string, h2 bool) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:    th.tlsConfig(sni),
		DisableCompression: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", th.TLSAddr)
		},
		ForceAttemptHTTP2: h2,
	}
	var p http.Protocols
	if h2 {
		p.SetHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	tr.Protocols = &p
	th.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}
