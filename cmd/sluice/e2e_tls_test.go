package main

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
)

// TestTLSSettingsThroughTheCLI sets an https listener's curves, suites and
// ticket lifetime with the CLI, and changes them with listener update.
func TestTLSSettingsThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	start(t, dir, origin(t), "")
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	for name, body := range map[string]string{"shop.pem": l.Cert, "shop.key": l.Key} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := freePort(t)
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	run(0, "listener", "https", "add", "--address", addr, "--certificate", "shop.pem", "--key", "shop.key",
		"--curves", "P-384", "--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"--session-ticket-lifetime", "1h")
	curve := func(prefs ...tls.CurveID) (tls.CurveID, error) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
			&tls.Config{ServerName: "shop.test", RootCAs: ca.Pool, CurvePreferences: prefs})
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.ConnectionState().CurveID, nil
	}
	if got, err := curve(); err != nil || got != tls.CurveP384 {
		t.Errorf("curve %v, %v; want P-384", got, err)
	}
	if msg := run(2, "listener", "update", "--address", addr, "--curves", "P-384,X448"); !strings.Contains(msg, `"X448" is not a curve`) {
		t.Errorf("bad curve: %q", msg)
	}
	if msg := run(2, "listener", "update", "--address", addr, "--session-ticket-lifetime", "168h"); !strings.Contains(msg, "session_ticket_lifetime") {
		t.Errorf("long lifetime: %q", msg)
	}
	run(0, "listener", "update", "--address", addr, "--curves", "X25519")
	if got, err := curve(tls.X25519); err != nil || got != tls.X25519 {
		t.Errorf("after the update: %v, %v; want X25519", got, err)
	}
	// Client certificates.
	clients := testcert.NewCA()
	if err := os.WriteFile(filepath.Join(dir, "clients.pem"), []byte(clients.PEM), 0o600); err != nil {
		t.Fatal(err)
	}
	alice := clients.Leaf([]string{"alice"}, testcert.Options{Client: true})
	pair, _ := tls.X509KeyPair([]byte(alice.Cert), []byte(alice.Key))
	mtls := func(certs ...tls.Certificate) error {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
			&tls.Config{ServerName: "shop.test", RootCAs: ca.Pool, Certificates: certs, MaxVersion: tls.VersionTLS12})
		if err == nil {
			c.Close()
		}
		return err
	}
	if msg := run(1, "listener", "update", "--address", addr, "--client-auth", "required"); !strings.Contains(msg, "needs client_ca") {
		t.Errorf("client-auth without a CA: %q", msg)
	}
	run(0, "listener", "update", "--address", addr, "--client-auth", "required", "--client-ca", "clients.pem")
	if err := mtls(); err == nil {
		t.Error("required: a client without a certificate was served")
	}
	if err := mtls(pair); err != nil {
		t.Errorf("required, good certificate: %v", err)
	}
	run(0, "listener", "update", "--address", addr, "--no-client-auth")
	if err := mtls(); err != nil {
		t.Errorf("after --no-client-auth: %v", err)
	}
	run(0, "listener", "update", "--address", addr, "--ocsp-stapling=false", "--acme")
	out := run(0, "--json", "listener", "list")
	for _, want := range []string{`"curves":["X25519"]`, `"session_ticket_lifetime":"1h0m0s"`, `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`, `"ocsp_stapling":false`, `"acme":true`} {
		if !strings.Contains(strings.Join(strings.Fields(out), ""), want) {
			t.Errorf("listener list lacks %s:\n%s", want, out)
		}
	}
	run(0, "listener", "update", "--address", addr, "--ocsp-stapling", "--acme=false")
	if out := run(0, "--json", "listener", "list"); strings.Contains(out, "ocsp_stapling") || strings.Contains(out, "acme") {
		t.Errorf("ocsp_stapling back on and acme off (the defaults) are still listed:\n%s", out)
	}
}

// TestBackendTLSThroughTheCLI turns TLS to a cluster's backends on, off
// and to another CA with cluster update, against a net/http TLS origin.
func TestBackendTLSThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	ca, other := testcert.NewCA(), testcert.NewCA()
	leaf := ca.Leaf([]string{"127.0.0.1"}, testcert.Options{})
	pair, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
	if err != nil {
		t.Fatal(err)
	}
	o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("tls origin"))
	}))
	o.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	o.Config.ErrorLog = log.New(io.Discard, "", 0)
	o.StartTLS()
	defer o.Close()
	for name, body := range map[string]string{"ca.pem": ca.PEM, "other.pem": other.PEM} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := start(t, dir, o.Listener.Addr().String(), "")
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	status := func() int {
		t.Helper()
		code, _ := get(t, "http://"+d.front+"/")
		return code
	}
	if c := status(); c == 200 {
		t.Fatalf("plain HTTP to the TLS origin: %d", c)
	}
	run(0, "cluster", "update", "--id", "shop", "--tls", "--tls-ca", "ca.pem")
	if c := status(); c != 200 {
		t.Errorf("TLS with the origin's CA: %d", c)
	}
	run(0, "cluster", "update", "--id", "shop", "--tls-ca", "other.pem")
	if c := status(); c != 502 {
		t.Errorf("TLS with another CA: %d, want 502", c)
	}
	if out := run(0, "cluster", "list"); !strings.Contains(out, "verified (ca)") {
		t.Errorf("cluster list:\n%s", out)
	}
	run(0, "cluster", "update", "--id", "shop", "--tls-insecure-skip-verify")
	if c := status(); c != 200 {
		t.Errorf("TLS without verification: %d", c)
	}
	if msg := run(2, "cluster", "update", "--id", "shop", "--tls-ca", "nope.pem"); !strings.Contains(msg, "nope.pem") {
		t.Errorf("missing CA file: %q", msg)
	}
	if msg := run(2, "cluster", "update", "--id", "shop", "--tls-ca", "ca.pem", "--tls-server-name", "a b"); !strings.Contains(msg, "server_name") {
		t.Errorf("bad server name: %q", msg)
	}
	// The origin speaks http/1.1 only: auto falls back to it, h2 fails
	// its handshake (ALPN h2 alone), http1 is the default again.
	run(0, "cluster", "update", "--id", "shop", "--backend-protocol", "auto")
	if c := status(); c != 200 {
		t.Errorf("auto to an http/1.1 origin: %d", c)
	}
	if out := run(0, "cluster", "list"); !strings.Contains(out, "BACKEND_PROTOCOL") || !strings.Contains(out, " auto") {
		t.Errorf("cluster list:\n%s", out)
	}
	run(0, "cluster", "update", "--id", "shop", "--backend-protocol", "h2")
	if c := status(); c != 502 {
		t.Errorf("h2 to an http/1.1 origin: %d, want 502", c)
	}
	if msg := run(2, "cluster", "update", "--id", "shop", "--backend-protocol", "h3"); !strings.Contains(msg, "backend_protocol") {
		t.Errorf("bad backend protocol: %q", msg)
	}
	run(0, "cluster", "update", "--id", "shop", "--backend-protocol", "http1")
	if c := status(); c != 200 {
		t.Errorf("http1 again: %d", c)
	}
	run(0, "cluster", "update", "--id", "shop", "--no-tls")
	if c := status(); c == 200 {
		t.Errorf("plain again: %d", c)
	}
}
