package dashboard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/daemon"
	"github.com/sluiceproxy/sluice/dashboard"
	"github.com/sluiceproxy/sluice/internal/testbuf"
	"github.com/sluiceproxy/sluice/internal/testport"
	"github.com/sluiceproxy/sluice/order"
)

// testToken is the admin API's write token in these tests.
const testToken = "dashboard-test-token-0123456789abcdef"

// wait bounds every blocking step outside the browser.
const wait = 10 * time.Second

// proxy is a daemon (daemon.Run in this process, serving the dashboard
// at its admin address) in front of two real origins: an http listener,
// an https listener with a self-signed certificate, and a cluster "shop"
// with backends shop-1 and shop-2 and an active health check every
// 200 ms that one failure marks down.
type proxy struct {
	admin, http string
	origins     [2]*httptest.Server
	client      *command.Client
	sigs        chan os.Signal
	done        chan error
	log         *syncBuffer
}

func startProxy(t *testing.T) *proxy {
	t.Helper()
	t.Setenv("SLUICE_DASHBOARD_TEST_TOKEN", testToken)
	dir := t.TempDir()
	p := &proxy{sigs: make(chan os.Signal, 1), done: make(chan error, 1), log: &syncBuffer{}}
	for i := range p.origins { // before the free ports are picked: never one of them
		p.origins[i] = httptest.NewServer(origin(i + 1))
		t.Cleanup(p.origins[i].Close)
	}
	ports := freePorts(t, 3)
	p.admin, p.http = ports[0], ports[1]
	certFile, keyFile := selfSigned(t, dir, "shop.test")
	conf := fmt.Sprintf(`
command_socket = "sluice.sock"
access_log = "off"
log_level = "warn"

[admin]
address = %q
token_env = "SLUICE_DASHBOARD_TEST_TOKEN"

[[listeners]]
protocol = "http"
address = %q

[[listeners]]
protocol = "https"
address = %q
certificate = %q
key = %q

[clusters.shop]
health_check = { path = "/", interval = "200ms", timeout = "150ms", fall = 1, rise = 1 }
frontends = [
  { address = %[2]q, hostname = "shop.test" },
  { address = %[2]q, hostname = "shop.test", path = "/admin", deny = true },
]
backends = [
  { id = "shop-1", address = %[6]q },
  { id = "shop-2", address = %[7]q, weight = 50 },
]
`, p.admin, p.http, ports[2], certFile, keyFile,
		p.origins[0].Listener.Addr().String(), p.origins[1].Listener.Addr().String())
	path := filepath.Join(dir, "sluice.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		p.done <- daemon.Run(cfg, daemon.Options{Stderr: p.log, Signals: p.sigs, AdminUI: dashboard.FS(),
			Ready: func() { close(ready) }, Binary: filepath.Join(dir, "no-such-binary")})
	}()
	select {
	case <-ready:
	case err := <-p.done:
		t.Fatalf("daemon: %v\n%s", err, p.log)
	case <-time.After(wait):
		t.Fatalf("the daemon did not start\n%s", p.log)
	}
	p.client, err = command.Dial(filepath.Join(dir, "sluice.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.client.Close()
		p.sigs <- syscall.SIGTERM
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("daemon: %v", err)
			}
		case <-time.After(wait):
			t.Errorf("the daemon did not stop\n%s", p.log)
		}
		http.DefaultClient.CloseIdleConnections()
	})
	return p
}

// base is the dashboard's URL.
func (p *proxy) base() string { return "http://" + p.admin }

// backends lists the backends through the command socket.
func (p *proxy) backends(t *testing.T) map[string]order.BackendStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	resp, err := p.client.Do(ctx, order.ListBackends{}, nil)
	if err != nil || resp.Status != order.StatusOK {
		t.Fatalf("list_backends: %v %s", err, resp.Message)
	}
	out := map[string]order.BackendStatus{}
	for _, b := range resp.Content.Backends {
		out[b.ClusterID+"/"+b.ID] = b
	}
	return out
}

// origin answers every request with its name; /fail answers 500.
func origin(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "failing on purpose", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "origin %d\n", n)
	})
}

// freePorts returns n distinct addresses on 127.0.0.1 to name in a
// configuration before the daemon listens on them (see package testport).
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = testport.Free(t)
	}
	return addrs
}

// selfSigned writes a self-signed certificate for name, valid 60 days,
// and its key, in dir.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(60 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// syncBuffer is a buffer the test reads while the daemon writes to it.
type syncBuffer = testbuf.Buffer
