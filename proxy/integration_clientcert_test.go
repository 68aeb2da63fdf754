package proxy_test

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// certEcho answers the client certificate fields it got, each as a list
// of its values.
func certEcho(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "subject=%q fingerprint=%q", r.Header.Values("X-Client-Cert-Subject"), r.Header.Values("X-Client-Cert-Fingerprint"))
}

// mtlsGet sends GET / for shop.test to the https listener over HTTP/2 or
// HTTP/1.1, showing cert (none when nil) and claiming a client
// certificate in the fields a backend trusts; it returns the origin's
// echo, or the error.
func mtlsGet(th *tlsHarness, h2 bool, cert *testcert.Leaf) (string, error) {
	c := th.client("shop.test", h2)
	if cert != nil {
		pair, err := tls.X509KeyPair([]byte(cert.Cert), []byte(cert.Key))
		if err != nil {
			th.t.Fatal(err)
		}
		c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{pair}
	}
	req, _ := http.NewRequest("GET", "https://shop.test/", nil)
	req.Header.Set("X-Client-Cert-Subject", "CN=admin")
	req.Header.Set("x-client-cert-fingerprint", "00")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.ProtoMajor != map[bool]int{false: 1, true: 2}[h2] {
		th.t.Errorf("answered over %s", resp.Proto)
	}
	return string(b), err
}

// Client certificates on an https listener, through both fronts: required
// (none, or one of an unknown CA, fails the handshake; a good one reaches
// the backend as its subject and fingerprint, whatever the client claimed
// in those fields) and optional (none is served, without the fields).
func TestClientCertificates(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "http1", true: "http2"}[h2], func(t *testing.T) {
			ca, clients, stranger := testcert.NewCA(), testcert.NewCA(), testcert.NewCA()
			th := startTLS(t, ca, func(l *order.Listener) {
				l.Certificate = certOf(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
				l.ClientAuth, l.ClientCA = "required", clients.PEM
			})
			o := newOrigin(t, "shop", certEcho)
			th.routeTLS("shop.test", "shop", o.Addr)
			alice := clients.Leaf([]string{"alice"}, testcert.Options{Client: true})
			mallory := stranger.Leaf([]string{"alice"}, testcert.Options{Client: true})
			sum := sha256.Sum256(alice.X509.Raw)
			want := fmt.Sprintf("subject=[\"CN=alice\"] fingerprint=[%q]", hex.EncodeToString(sum[:]))

			if got, err := mtlsGet(th, h2, nil); err == nil {
				t.Errorf("required, no certificate: served %q", got)
			}
			if got, err := mtlsGet(th, h2, &mallory); err == nil {
				t.Errorf("required, unknown CA: served %q", got)
			}
			got, err := mtlsGet(th, h2, &alice)
			if err != nil || got != want {
				t.Errorf("required, good certificate: %q, %v; want %q", got, err, want)
			}

			th.Must(order.UpdateListener{Address: th.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{ClientAuth: order.Some("optional")}})
			if got, err := mtlsGet(th, h2, nil); err != nil || got != "subject=[] fingerprint=[]" {
				t.Errorf("optional, no certificate: %q, %v", got, err)
			}
			if got, err := mtlsGet(th, h2, &mallory); err == nil {
				t.Errorf("optional, unknown CA: served %q", got)
			}
			if got, err := mtlsGet(th, h2, &alice); err != nil || got != want {
				t.Errorf("optional, good certificate: %q, %v", got, err)
			}
			if o.Requests.Load() != 3 {
				t.Errorf("origin saw %d requests, want 3", o.Requests.Load())
			}
		})
	}
}

// A client's claims in the client certificate fields never reach a
// backend, on plain listeners too (both fronts).
func TestClientCertificateFieldsStripped(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		o := newOrigin(t, "app", certEcho)
		f.route("example.com", o.Addr)
		req := f.request("GET", "example.com", "/", nil)
		req.Header.Add("X-Client-Cert-Subject", "CN=admin")
		req.Header.Add("X-CLIENT-CERT-FINGERPRINT", "00")
		resp, body := f.send(req)
		wantStatus(t, resp, body, 200)
		if body != "subject=[] fingerprint=[]" {
			t.Errorf("origin got %s", body)
		}
	})
}

// A client certificate whose CA is taken out of client_ca does not come
// back through a resumed session (crypto/tls checks a resumed session's
// verified chains against the ClientCAs of the new TLS server).
func TestClientCertificateResumptionReverified(t *testing.T) {
	ca, clients, others := testcert.NewCA(), testcert.NewCA(), testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) {
		l.Certificate = certOf(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
		l.ClientAuth, l.ClientCA = "required", clients.PEM
	})
	alice := clients.Leaf([]string{"alice"}, testcert.Options{Client: true})
	pair, _ := tls.X509KeyPair([]byte(alice.Cert), []byte(alice.Key))
	cfg := th.tlsConfig("shop.test")
	cfg.Certificates = []tls.Certificate{pair}
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	cfg.MaxVersion = tls.VersionTLS12 // the ticket comes with the handshake
	c, err := th.handshake(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	c, err = th.handshake(cfg)
	if err != nil || !c.ConnectionState().DidResume {
		t.Fatalf("second handshake: %v, resumed %v", err, err == nil && c.ConnectionState().DidResume)
	}
	c.Close()
	th.Must(order.UpdateListener{Address: th.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{ClientCA: order.Some(others.PEM)}})
	if c, err := th.handshake(cfg); err == nil {
		// TLS 1.2: the server's error comes with its Finished.
		_, err = c.Write([]byte("GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n"))
		if err == nil {
			_, err = c.Read(make([]byte, 1))
		}
		c.Close()
		if err == nil {
			t.Error("a resumed session kept a client certificate of a CA no longer trusted")
		}
	}
}
