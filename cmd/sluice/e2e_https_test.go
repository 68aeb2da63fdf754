package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestHTTPSCertificatesThroughTheCLI adds an https listener with a default
// certificate and drives its certificates with the CLI while a client
// watches what is served.
func TestHTTPSCertificatesThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "")
	ca := testcert.NewCA()
	write := func(name string, l testcert.Leaf) string {
		if err := os.WriteFile(filepath.Join(dir, name+".pem"), []byte(l.Cert), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".key"), []byte(l.Key), 0o600); err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(l.X509.Raw)
		return hex.EncodeToString(s[:])
	}
	write("default", ca.Leaf([]string{"default.test"}, testcert.Options{}))
	shopFP := write("shop", ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	newFP := write("shop2", ca.Leaf([]string{"shop.test", "www.shop.test"}, testcert.Options{}))
	write("other", ca.Leaf([]string{"other.test"}, testcert.Options{}))
	addr := freePort(t)
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("sluice %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	run(0, "listener", "https", "add", "--address", addr, "--certificate", "default.pem", "--key", "default.key",
		"--hsts-max-age", "600")
	run(0, "frontend", "https", "add", "--address", addr, "--hostname", "*", "--cluster", "shop")
	// acme on a frontend: an exact hostname only; set and cleared by update.
	if msg := run(1, "frontend", "https", "update", "--address", addr, "--hostname", "*", "--acme"); !strings.Contains(msg, "needs an exact host name") {
		t.Errorf("acme on hostname *: %q", msg)
	}
	run(0, "frontend", "https", "add", "--address", addr, "--hostname", "acme.test", "--cluster", "shop", "--acme")
	if out := run(0, "--json", "frontend", "list"); !strings.Contains(strings.Join(strings.Fields(out), ""), `"hostname":"acme.test","path_type":"prefix","cluster_id":"shop","acme":true`) {
		t.Errorf("frontend list lacks acme:\n%s", out)
	}
	run(0, "frontend", "https", "update", "--address", addr, "--hostname", "acme.test", "--acme=false")
	if out := run(0, "--json", "frontend", "list"); strings.Contains(out, `"acme"`) {
		t.Errorf("acme still listed after --acme=false:\n%s", out)
	}
	run(0, "frontend", "https", "remove", "--address", addr, "--hostname", "acme.test")
	run(0, "certificate", "add", "--address", addr, "--certificate", "shop.pem", "--key", "shop.key")
	if msg := run(1, "certificate", "add", "--address", addr, "--certificate", "shop.pem", "--key", "other.key"); !strings.Contains(msg, "does not match") {
		t.Errorf("mismatched key: %q", msg)
	}

	served := func(sni string) []string {
		t.Helper()
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
			&tls.Config{ServerName: sni, RootCAs: ca.Pool, InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("handshake %s: %v", sni, err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].DNSNames
	}
	if got := served("shop.test"); got[0] != "shop.test" || len(got) != 1 {
		t.Errorf("shop.test served %v", got)
	}
	if got := served("unknown.test"); got[0] != "default.test" {
		t.Errorf("unknown name served %v", got)
	}

	var p http.Protocols
	p.SetHTTP2(true)
	tr := &http.Transport{Protocols: &p, TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: "shop.test"}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	req, _ := http.NewRequest("GET", "https://"+addr+"/x", nil)
	req.Host = "shop.test"
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || string(b) != "origin /x" || resp.Header.Get("Strict-Transport-Security") != "max-age=600" {
		t.Errorf("GET over h2: %s %d %q, HSTS %q", resp.Proto, resp.StatusCode, b, resp.Header.Get("Strict-Transport-Security"))
	}

	run(0, "certificate", "replace", "--address", addr, "--old-fingerprint", shopFP, "--certificate", "shop2.pem", "--key", "shop2.key")
	if got := served("shop.test"); len(got) != 2 {
		t.Errorf("after replace: %v", got)
	}
	var resp2 order.Response
	if err := json.Unmarshal([]byte(run(0, "--json", "certificate", "list", "--address", addr)), &resp2); err != nil || resp2.Content == nil {
		t.Fatalf("certificate list --json: %v", err)
	}
	// The replacement, and the listener's default certificate, listed as
	// the default.
	var got, def int
	for _, c := range resp2.Content.Certificates {
		switch {
		case c.Default:
			def++
		case c.Fingerprint == newFP && c.NotAfter != "":
			got++
		}
	}
	if len(resp2.Content.Certificates) != 2 || got != 1 || def != 1 {
		t.Errorf("list: %+v", resp2.Content.Certificates)
	}
	run(0, "certificate", "remove", "--address", addr, "--fingerprint", newFP)
	if got := served("shop.test"); got[0] != "default.test" {
		t.Errorf("after remove: %v", got)
	}
	if code, _ := get(t, "http://"+d.front+"/plain"); code != 200 {
		t.Errorf("the http listener answers %d", code)
	}
}
