package proxy_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

func TestTLSSNIPicksExactWildcardDefault(t *testing.T) {
	ca := testcert.NewCA()
	def := ca.Leaf([]string{"default.test"}, testcert.Options{})
	th := startTLS(t, ca, func(l *order.Listener) { l.Certificate = certOf(def) })
	th.addCert(ca.Leaf([]string{"shop.example.com"}, testcert.Options{}))
	th.addCert(ca.Leaf([]string{"*.example.com"}, testcert.Options{}))
	th.addCert(ca.Leaf([]string{"*.eu.example.com", "eu.example.com"}, testcert.Options{}))
	for sni, want := range map[string]string{
		"shop.example.com": "shop.example.com",
		"blog.example.com": "*.example.com",
		"a.eu.example.com": "*.eu.example.com",
		"eu.example.com":   "*.eu.example.com",
		"a.b.example.com":  "default.test", // a wildcard covers one label only
		"example.com":      "default.test",
		"unknown.test":     "default.test",
	} {
		if got := th.served(sni); got[0] != want {
			t.Errorf("SNI %s: served %v, want %s", sni, got, want)
		}
	}
	c, err := th.handshake(th.tlsConfig(""))
	if err != nil {
		t.Fatalf("no SNI: %v", err)
	}
	if got := c.ConnectionState().PeerCertificates[0].DNSNames[0]; got != "default.test" {
		t.Errorf("no SNI: served %s", got)
	}
	c.Close()
}

func TestTLSLatestExpiryWins(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	th.addCert(ca.Leaf([]string{"a.test", "soon.test"}, testcert.Options{NotAfter: time.Now().Add(3 * time.Hour)}))
	th.addCert(ca.Leaf([]string{"a.test", "late.test"}, testcert.Options{NotAfter: time.Now().Add(30 * time.Hour)}))
	th.addCert(ca.Leaf([]string{"a.test", "mid.test"}, testcert.Options{NotAfter: time.Now().Add(10 * time.Hour)}))
	if got := th.served("a.test"); got[1] != "late.test" {
		t.Errorf("served %v, want the certificate expiring last", got)
	}
}

func TestTLSNoCertificateRefusesHandshake(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	for _, sni := range []string{"other.test", ""} {
		c, err := th.handshake(th.tlsConfig(sni))
		if err == nil {
			c.Close()
			t.Fatalf("SNI %q: handshake succeeded without a certificate for it", sni)
		}
		if !strings.Contains(err.Error(), "unrecognized name") {
			t.Errorf("SNI %q: error %v, want an unrecognized_name alert", sni, err)
		}
	}
	th.served("shop.test") // the listener still serves what it has
}

func TestTLSBadCertificatesChangeNothing(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	good := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	fp := th.addCert(good)
	other := ca.Leaf([]string{"other.test"}, testcert.Options{})
	expired := ca.Leaf([]string{"shop.test"}, testcert.Options{NotBefore: time.Now().Add(-72 * time.Hour),
		NotAfter: time.Now().Add(-time.Hour)})
	for name, tc := range map[string]struct {
		o    order.Order
		want string
	}{
		"bad PEM":      {order.AddCertificate{Address: th.TLSAddr, Certificate: order.CertificateAndKey{Certificate: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", Key: good.Key}}, "certificate.certificate"},
		"key mismatch": {order.AddCertificate{Address: th.TLSAddr, Certificate: order.CertificateAndKey{Certificate: good.Cert, Key: other.Key}}, "does not match"},
		"expired":      {order.AddCertificate{Address: th.TLSAddr, Certificate: *certOf(expired)}, "expired on"},
		"replace with expired": {order.ReplaceCertificate{Address: th.TLSAddr, OldFingerprint: fp,
			Certificate: *certOf(expired)}, "expired on"},
		"replace unknown": {order.ReplaceCertificate{Address: th.TLSAddr, OldFingerprint: strings.Repeat("0", 64),
			Certificate: *certOf(other)}, "no certificate"},
		"remove unknown": {order.RemoveCertificate{Address: th.TLSAddr, Fingerprint: strings.Repeat("0", 64)}, "no certificate"},
		"http listener":  {order.AddCertificate{Address: th.Addr, Certificate: *certOf(good)}, "not https"},
		"bad default": {order.AddListener{Listener: order.Listener{Protocol: order.HTTPS, Address: freeAddr(t), Active: true,
			Certificate: certOf(expired)}}, "listener.certificate"},
	} {
		r := th.Do(tc.o)
		if r.Status != order.StatusError || !strings.Contains(r.Message, tc.want) {
			t.Errorf("%s: answered %s %q, want an error with %q", name, r.Status, r.Message, tc.want)
		}
	}
	list := th.Must(order.ListCertificates{Address: th.TLSAddr}).Content.Certificates
	if len(list) != 1 || list[0].Fingerprint != fp || list[0].Names[0] != "shop.test" ||
		list[0].NotAfter != good.X509.NotAfter.UTC().Format(time.RFC3339) {
		t.Errorf("listing after refused orders: %+v", list)
	}
	if got := th.served("shop.test"); got[0] != "shop.test" {
		t.Errorf("served %v", got)
	}
	if n := len(th.Must(order.ListListeners{}).Content.Listeners); n != 2 {
		t.Errorf("%d listeners after a refused add", n)
	}
}

// TestTLSReplaceKeepsLiveConnection replaces the certificate under a
// keep-alive connection: the connection keeps working on the old one, new
// handshakes get the new one; removing it refuses new handshakes only.
func TestTLSReplaceKeepsLiveConnection(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	o := newOrigin(t, "app", nil)
	th.routeTLS("shop.test", "shop", o.Addr)
	oldLeaf := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	oldFP := th.addCert(oldLeaf)

	c, err := th.handshake(th.tlsConfig("shop.test", "http/1.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	get := func(path string) {
		t.Helper()
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: shop.test\r\n\r\n", path)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("GET %s on the live connection: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "app "+path {
			t.Fatalf("GET %s: %d %q", path, resp.StatusCode, b)
		}
	}
	get("/before")

	newLeaf := ca.Leaf([]string{"shop.test", "new.test"}, testcert.Options{})
	th.Must(order.ReplaceCertificate{Address: th.TLSAddr, OldFingerprint: oldFP, Certificate: *certOf(newLeaf)})
	get("/after-replace")
	if got := th.served("shop.test"); len(got) != 2 || got[1] != "new.test" {
		t.Errorf("a new handshake got %v, want the new certificate", got)
	}
	list := th.Must(order.ListCertificates{}).Content.Certificates
	if len(list) != 1 || list[0].Fingerprint != sha(newLeaf.X509.Raw) {
		t.Errorf("listing after replace: %+v", list)
	}

	th.Must(order.RemoveCertificate{Address: th.TLSAddr, Fingerprint: sha(newLeaf.X509.Raw)})
	get("/after-remove")
	if c2, err := th.handshake(th.tlsConfig("shop.test")); err == nil {
		c2.Close()
		t.Error("a handshake succeeded after the only certificate was removed")
	}
}

func TestTLSMisdirectedRequest421(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	o := newOrigin(t, "app", nil)
	th.routeTLS("*", "all", o.Addr)
	th.addCert(ca.Leaf([]string{"shop.test", "*.api.test"}, testcert.Options{}))
	th.addCert(ca.Leaf([]string{"evil.test"}, testcert.Options{}))
	for _, h2 := range []bool{false, true} {
		hc := th.client("shop.test", h2)
		for host, want := range map[string]int{"shop.test": 200, "v1.api.test": 200, "evil.test": 421,
			"a.v1.api.test": 421, "SHOP.test:443": 200} {
			req, _ := http.NewRequest("GET", "https://shop.test/x", nil)
			req.Host = host
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("h2=%v Host %s: %v", h2, host, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("h2=%v Host %s: %d, want %d", h2, host, resp.StatusCode, want)
			}
			if want == 421 && (!strings.Contains(string(b), "421") || resp.Header.Get("Sluice-Request-Id") == "") {
				t.Errorf("h2=%v: 421 answer %q", h2, b)
			}
		}
	}
	if n := o.Requests.Load(); n != 6 {
		t.Errorf("origin saw %d requests, want the 6 covered ones", n)
	}
}

func TestTLSForwardedHeadersSayHTTPS(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	seen := make(chan http.Header, 2)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Clone() })
	th.routeTLS("shop.test", "shop", o.Addr)
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	_, port, _ := net.SplitHostPort(th.TLSAddr)
	for _, h2 := range []bool{false, true} {
		resp, err := th.client("shop.test", h2).Get("https://shop.test/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: 1, true: 2}[h2]; resp.ProtoMajor != want {
			t.Errorf("h2=%v: protocol %s", h2, resp.Proto)
		}
		h := <-seen
		if h.Get("X-Forwarded-Proto") != "https" || h.Get("X-Forwarded-Port") != port ||
			!strings.Contains(h.Get("Forwarded"), "proto=https") || h.Get("X-Forwarded-For") != "127.0.0.1" ||
			h.Get("Sluice-Request-Id") != resp.Header.Get("Sluice-Request-Id") {
			t.Errorf("h2=%v: backend saw %v; response id %q", h2, h, resp.Header.Get("Sluice-Request-Id"))
		}
	}
}

func TestTLSVersionsAndHandshakeTimeout(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) {
		l.TLSVersions = []string{"TLS1.3"}
		l.RequestTimeout = order.Duration(300 * time.Millisecond)
	})
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	cfg := th.tlsConfig("shop.test")
	cfg.MaxVersion = tls.VersionTLS12
	if c, err := th.handshake(cfg); err == nil {
		c.Close()
		t.Error("TLS 1.2 accepted on a TLS1.3-only listener")
	}
	c, err := th.handshake(th.tlsConfig("shop.test"))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Errorf("version %x", v)
	}
	c.Close()

	// A client that opens a connection and never says hello is cut off
	// after request_timeout.
	raw, err := net.Dial("tcp", th.TLSAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	start := time.Now()
	_ = raw.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := raw.Read(make([]byte, 1)); err == nil {
		t.Error("the proxy sent bytes to a silent client")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("silent client closed after %v, want about 300ms", d)
	}
}

func TestTLSDefaultsAndResumption(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := th.tlsConfig("shop.test")
		cfg.MaxVersion = v
		if c, err := th.handshake(cfg); err == nil {
			c.Close()
			t.Errorf("version %x accepted", v)
		}
	}
	cfg := th.tlsConfig("shop.test")
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
	if c, err := th.handshake(cfg); err == nil {
		c.Close()
		t.Error("a non-ECDHE or CBC suite was accepted")
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := th.tlsConfig("shop.test", "h2", "http/1.1")
		cfg.MaxVersion = v
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		var resumed bool
		for i := range 2 {
			c, err := th.handshake(cfg)
			if err != nil {
				t.Fatal(err)
			}
			st := c.ConnectionState()
			if st.NegotiatedProtocol != "h2" {
				t.Errorf("ALPN %q", st.NegotiatedProtocol)
			}
			// crypto/tls ignores the order of CurvePreferences and
			// prefers the post-quantum hybrid when the client offers it.
			if st.Version == tls.VersionTLS13 && st.CurveID != tls.X25519MLKEM768 ||
				st.Version == tls.VersionTLS12 && st.CurveID != tls.X25519 {
				t.Errorf("version %x: curve %v", st.Version, st.CurveID)
			}
			if i == 1 {
				resumed = st.DidResume
			}
			// TLS 1.3 tickets arrive after the handshake: read a little.
			_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = c.Read(make([]byte, 1))
			c.Close()
		}
		if !resumed {
			t.Errorf("version %x: the second connection did not resume", v)
		}
	}
	// A client without the hybrid gets X25519 before the NIST curves.
	cfg = th.tlsConfig("shop.test")
	cfg.CurvePreferences = []tls.CurveID{tls.CurveP256, tls.X25519}
	c, err := th.handshake(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ConnectionState().CurveID; got != tls.X25519 {
		t.Errorf("curve %v, want X25519", got)
	}
	c.Close()
}
