package proxy_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// An https listener's cipher suites and curves are the only ones its
// clients get, over HTTP/1.1 and HTTP/2 alike; update_listener changes
// them for new handshakes; names the proxy does not allow are refused
// and change nothing.
func TestTLSCipherSuitesCurvesAndUpdate(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) {
		l.CipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}
		l.Curves = []string{"P-384"}
		l.SessionTicketLifetime = order.Duration(time.Hour)
	})
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	o := newOrigin(t, "shop", nil)
	th.routeTLS("shop.test", "shop", o.Addr)

	for _, h2 := range []bool{false, true} {
		resp, body := getBody(t, th.client("shop.test", h2), "https://shop.test/")
		if resp.StatusCode != 200 || body == "" || resp.ProtoMajor != map[bool]int{false: 1, true: 2}[h2] {
			t.Fatalf("h2=%v: %d %q", h2, resp.StatusCode, body)
		}
		st := resp.TLS
		if st.Version == tls.VersionTLS13 && st.CurveID != tls.CurveP384 {
			t.Errorf("h2=%v: curve %v, want P-384 only", h2, st.CurveID)
		}
	}
	cfg := th.tlsConfig("shop.test")
	cfg.MaxVersion = tls.VersionTLS12
	c, err := th.handshake(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st := c.ConnectionState(); st.CurveID != tls.CurveP384 || !strings.Contains(tls.CipherSuiteName(st.CipherSuite), "AES_256_GCM") {
		t.Errorf("TLS 1.2: %s over %v", tls.CipherSuiteName(st.CipherSuite), st.CurveID)
	}
	c.Close()
	x25519 := th.tlsConfig("shop.test")
	x25519.CurvePreferences = []tls.CurveID{tls.X25519}
	if c, err := th.handshake(x25519); err == nil {
		c.Close()
		t.Error("a client offering X25519 alone was served by a P-384 listener")
	}

	// Refused names change nothing.
	for _, u := range []order.UpdateListener{
		{Address: th.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{Curves: order.Some([]string{"X448"})}},
		{Address: th.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{CipherSuites: order.Some([]string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"})}},
		{Address: th.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{SessionTicketLifetime: order.Some(order.Duration(7 * 24 * time.Hour))}},
	} {
		if r := th.Do(u); r.Status != order.StatusError {
			t.Errorf("%+v: %s %s", u.UpdateListenerTLS, r.Status, r.Message)
		}
	}
	if c, err := th.handshake(x25519); err == nil {
		c.Close()
		t.Error("a refused update changed the curves")
	}

	// An update: X25519 only, for the next handshakes.
	th.Must(order.UpdateListener{Address: th.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{Curves: order.Some([]string{"X25519"})}})
	c, err = th.handshake(x25519)
	if err != nil {
		t.Fatalf("after the update: %v", err)
	}
	if got := c.ConnectionState().CurveID; got != tls.X25519 {
		t.Errorf("curve %v after the update", got)
	}
	c.Close()
	p384 := th.tlsConfig("shop.test")
	p384.CurvePreferences = []tls.CurveID{tls.CurveP384}
	if c, err := th.handshake(p384); err == nil {
		c.Close()
		t.Error("P-384 still served after the update")
	}
	// The update kept the suites.
	l := listenerOf(t, th.harness, th.TLSAddr)
	if len(l.CipherSuites) != 2 || l.SessionTicketLifetime != order.Duration(time.Hour) {
		t.Errorf("listener after the update: %+v", l.ListenerTLS)
	}
}

// listenerOf finds the listener on addr in list_listeners.
func listenerOf(t *testing.T, h *harness, addr string) order.Listener {
	t.Helper()
	r := h.Must(order.ListListeners{})
	for _, l := range r.Content.Listeners {
		if l.Address == addr {
			return l
		}
	}
	t.Fatalf("no listener %s", addr)
	return order.Listener{}
}

// getBody does GET url with c and returns the response and its body.
func getBody(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
