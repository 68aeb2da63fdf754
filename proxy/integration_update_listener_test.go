package proxy_test

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestListenerUpdateAtOnce: update_listener's answers and settings reach
// the next request.
func TestListenerUpdateAtOnce(t *testing.T) {
	h := startProxy(t, nil)
	h.Must(order.UpdateListener{Address: h.Addr, Answers: order.Some(map[string]string{"404": "<p>nothing at %REQUEST_ID</p>"})})
	resp, body := h.get("nowhere.test", "/")
	if resp.StatusCode != 404 || !strings.Contains(body, "nothing at") {
		t.Fatalf("custom 404: %d %q", resp.StatusCode, trim(body))
	}
	h.Must(order.UpdateListener{Address: h.Addr, MaxHeaderFields: order.Some(5)})
	req := h.request("GET", "nowhere.test", "/", nil)
	for i := range 8 {
		req.Header.Set(fmt.Sprintf("X-F%d", i), "v")
	}
	if resp, body := h.send(req); resp.StatusCode != 431 {
		t.Errorf("with max_header_fields 5: %d %q", resp.StatusCode, trim(body))
	}
	h.Must(order.UpdateListener{Address: h.Addr, Answers: order.Some[map[string]string](nil)})
	resp, body = h.get("nowhere.test", "/")
	if resp.StatusCode != 404 || strings.Contains(body, "nothing at") {
		t.Errorf("default 404 again: %d %q", resp.StatusCode, trim(body))
	}
}

// TestDefaultCertificateIsACertificate: the listener's default certificate
// is listed (marked default), replaced with replace_certificate (no-SNI
// handshakes get the new one at once) and removed like the others; new
// tls_versions apply to the next handshake, with the same certificates.
func TestDefaultCertificateIsACertificate(t *testing.T) {
	ca := testcert.NewCA()
	def := ca.Leaf([]string{"default.test"}, testcert.Options{})
	th := startTLS(t, ca, func(l *order.Listener) { l.Certificate = certOf(def) })
	list := th.Must(order.ListCertificates{Address: th.TLSAddr}).Content.Certificates
	if len(list) != 1 || !list[0].Default || list[0].Fingerprint != sha(def.X509.Raw) {
		t.Fatalf("listed: %+v", list)
	}
	noSNI := func() (string, error) {
		c, err := th.handshake(th.tlsConfig(""))
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].DNSNames[0], nil
	}
	if got, err := noSNI(); err != nil || got != "default.test" {
		t.Fatalf("no SNI: %q %v", got, err)
	}
	next := ca.Leaf([]string{"next.test"}, testcert.Options{})
	th.Must(order.ReplaceCertificate{Address: th.TLSAddr, OldFingerprint: list[0].Fingerprint, Certificate: *certOf(next)})
	if got, err := noSNI(); err != nil || got != "next.test" {
		t.Fatalf("no SNI after replacing the default: %q %v", got, err)
	}
	list = th.Must(order.ListCertificates{Address: th.TLSAddr}).Content.Certificates
	if len(list) != 1 || !list[0].Default || list[0].Names[0] != "next.test" {
		t.Fatalf("listed after the replace: %+v", list)
	}

	th.Must(order.UpdateListener{Address: th.TLSAddr, TLSVersions: order.Some([]string{"TLS1.3"})})
	cfg := th.tlsConfig("")
	cfg.MaxVersion = tls.VersionTLS12
	if c, err := th.handshake(cfg); err == nil {
		c.Close()
		t.Error("TLS 1.2 accepted after tls_versions became TLS1.3")
	}
	if got, err := noSNI(); err != nil || got != "next.test" {
		t.Fatalf("TLS 1.3 after the update: %q %v", got, err)
	}

	th.Must(order.RemoveCertificate{Address: th.TLSAddr, Fingerprint: list[0].Fingerprint})
	if _, err := noSNI(); err == nil {
		t.Error("a handshake without SNI succeeded with no certificate left")
	}
}
