package session

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestProxyHeaderBeforeTLS: the way an https listener takes the PROXY
// protocol: ReadProxyHeader on the raw connection reads the header and
// nothing more, the TLS handshake follows on the same connection, and
// ServeProxied serves the requests inside.
func TestProxyHeaderBeforeTLS(t *testing.T) {
	h := newHarness(t)
	set := *h.ln.Settings()
	set.ExpectProxy, set.Proto = true, "https"
	h.ln.SetSettings(&set)
	cert := selfSigned(t)
	sock, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { sock.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		raw, err := sock.Accept()
		if err != nil {
			wg.Done()
			return
		}
		hdr, err := ReadProxyHeader(h.env, h.ln, raw)
		if err != nil {
			raw.Close()
			wg.Done()
			return
		}
		if s := hdr.Source.String(); s != "203.0.113.1:7" {
			t.Errorf("header source %s", s)
		}
		ServeProxied(h.env, h.ln, tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{cert}}), hdr, wg.Done)
	}()
	c, err := net.Dial("tcp", sock.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "PROXY TCP4 203.0.113.1 192.0.2.1 7 443\r\n")
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "test"})
	io.WriteString(tc, "GET /inside HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "path /inside" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}
