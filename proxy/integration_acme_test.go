package proxy_test

// ACME over real sockets: Let's Encrypt's pebble in the test's process
// (internal/pebbletest), its validation authority connecting to the
// proxy's http listener (HTTP-01) and https listener (TLS-ALPN-01) on
// 127.0.0.1, certificates of a few seconds so that renewals happen
// within the test, and crypto/tls clients checking what is served.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/acme"
	"github.com/sluiceproxy/sluice/internal/pebbletest"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

const acmeHost = "shop.acme.test"

// acmeHarness is a proxy with an http listener (Addr) and an https
// listener with acme = true (TLSAddr) routing acmeHost to an origin, and
// the pebble it gets certificates from.
type acmeHarness struct {
	*harness
	TLSAddr string
	peb     *pebbletest.Server
	events  <-chan order.Event
	storage string
	// Of the acme_obtained events for acmeHost seen so far: how many,
	// and the last fingerprint.
	obtained int
	lastFP   string
}

// startACME starts pebble (certificates valid for validity) and a proxy
// answering the challenge typ, keeping its ACME files in storage.
func startACME(t *testing.T, typ string, validity time.Duration, storage string) *acmeHarness {
	t.Helper()
	httpAddr, tlsAddr := freeAddr(t), freeAddr(t)
	peb := pebbletest.Start(t, pebbletest.Options{HTTPPort: port(t, httpAddr), TLSPort: port(t, tlsAddr), Validity: validity})
	return startACMEProxy(t, peb, typ, httpAddr, tlsAddr, storage)
}

// startACMEProxy starts a proxy with acme = true on its https listener,
// or on acmeHost's frontend alone when perFrontend is set.
func startACMEProxy(t *testing.T, peb *pebbletest.Server, typ, httpAddr, tlsAddr, storage string, perFrontend ...bool) *acmeHarness {
	t.Helper()
	onFrontend := len(perFrontend) > 0 && perFrontend[0]
	h := startProxy(t, func(c *proxy.Config) {
		c.Listeners = []order.Listener{{Protocol: order.HTTP, Address: httpAddr, Active: true},
			{Protocol: order.HTTPS, Address: tlsAddr, Active: true, ListenerTLS: order.ListenerTLS{ACME: !onFrontend}}}
		c.Metrics = metrics.NewRegistry()
		c.ACME = &acme.Options{Directory: peb.Directory, Storage: storage, AgreeTerms: true, Email: "ops@acme.test",
			Challenges: []string{typ}, HTTPClient: peb.HTTPClient(),
			Policy: acme.Policy{MinRetry: 200 * time.Millisecond, MaxRetry: time.Second}}
	})
	if h.Addr != httpAddr {
		h.Addr = httpAddr
	}
	ah := &acmeHarness{harness: h, TLSAddr: tlsAddr, peb: peb, events: h.Client.Subscribe(h.Ctx), storage: storage}
	o := newOrigin(t, "shop", nil)
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: "shop"}})
	h.addBackend("shop", "b0", o.Addr)
	h.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: tlsAddr, Hostname: acmeHost, ClusterID: "shop", ACME: onFrontend}})
	if onFrontend { // a frontend without acme on the same listener gets nothing
		h.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: tlsAddr, Hostname: "other.acme.test", ClusterID: "shop"}})
	}
	return ah
}

func port(t *testing.T, addr string) int {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a.Port
}

// next waits for the next acme_* event of kind for acmeHost.
func (ah *acmeHarness) next(kind order.EventKind) order.Event {
	ah.t.Helper()
	return ah.nextFor(kind, acmeHost)
}

// nextFor waits for the next acme_* event of kind for host.
func (ah *acmeHarness) nextFor(kind order.EventKind, host string) order.Event {
	ah.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-ah.events:
			if ev.Kind == order.ACMEObtained && ev.Hostname == acmeHost {
				ah.obtained++
				ah.lastFP = ev.Fingerprint
			}
			if ev.Kind == kind && ev.Hostname == host {
				return ev
			}
			if ev.Kind == order.ACMEFailed && kind != order.ACMEFailed {
				ah.t.Fatalf("waiting for %s: %+v", kind, ev)
			}
		case <-deadline:
			ah.t.Fatalf("no %s event for %s within 20s", kind, acmeHost)
		}
	}
}

// getTLS makes a request for acmeHost over TLS, verifying the
// certificate against pebble's roots, and returns the body and the served
// leaf.
func (ah *acmeHarness) getTLS() (string, *x509.Certificate) {
	ah.t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ah.peb.Roots, ServerName: acmeHost},
		DialContext: (&dialTo{ah.TLSAddr}).dial}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: ioTimeout}).Get("https://" + acmeHost + "/hello")
	if err != nil {
		ah.t.Fatalf("GET over TLS: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.TLS.PeerCertificates[0]
}

// servedFingerprint is the fingerprint of the leaf served for acmeHost,
// expired or not.
func (ah *acmeHarness) servedFingerprint() string {
	ah.t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: ioTimeout}, "tcp", ah.TLSAddr,
		&tls.Config{ServerName: acmeHost, InsecureSkipVerify: true})
	if err != nil {
		ah.t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return sha(c.ConnectionState().PeerCertificates[0].Raw)
}

func (ah *acmeHarness) certificates() []string {
	ah.t.Helper()
	var fps []string
	for _, c := range ah.Must(order.ListCertificates{Address: ah.TLSAddr}).Content.Certificates {
		fps = append(fps, c.Fingerprint)
	}
	return fps
}

func (ah *acmeHarness) listenerMetrics() order.ListenerMetrics {
	ah.t.Helper()
	for _, l := range ah.Must(order.Metrics{}).Content.Metrics.Listeners {
		if l.Address == ah.TLSAddr {
			return l
		}
	}
	ah.t.Fatalf("no metrics for %s", ah.TLSAddr)
	return order.ListenerMetrics{}
}

type dialTo struct{ addr string }

func (d *dialTo) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", d.addr)
}

// TestACMEObtainsRenewsAndBacksOff, once per challenge type: the proxy
// obtains a certificate for the frontend's host name from pebble, serves
// it to a verifying TLS client and lists it like any certificate;
// renews it at two thirds of its (3 s) lifetime, replacing the old one;
// and when pebble refuses the name, reports failures with a growing wait
// in events and metrics while the listener keeps serving what it had.
func TestACMEObtainsRenewsAndBacksOff(t *testing.T) {
	pebbletest.Setenv(t)
	for _, typ := range []string{acme.HTTP01, acme.TLSALPN01} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			ah := startACME(t, typ, 3*time.Second, filepath.Join(t.TempDir(), "acme"))
			first := ah.next(order.ACMEObtained)
			if first.Address != ah.TLSAddr || !strings.Contains(first.Reason, "obtained by "+typ) {
				t.Fatalf("obtained: %+v", first)
			}
			body, leaf := ah.getTLS()
			if body != "shop /hello" || sha(leaf.Raw) != first.Fingerprint {
				t.Fatalf("served %q with %s, want the origin's answer with %s", body, sha(leaf.Raw), first.Fingerprint)
			}
			if fps := ah.certificates(); len(fps) != 1 || fps[0] != first.Fingerprint {
				t.Fatalf("listed certificates %v, want [%s]", fps, first.Fingerprint)
			}
			renewAt := acme.RenewAt(leaf.NotBefore, leaf.NotAfter)

			second := ah.next(order.ACMEObtained) // the renewal
			if time.Now().Before(renewAt) || second.Fingerprint == first.Fingerprint {
				t.Fatalf("renewal %+v at %v, due %v", second, time.Now(), renewAt)
			}
			if fps := ah.certificates(); len(fps) != 1 || fps[0] != second.Fingerprint {
				t.Fatalf("after the renewal: %v, want only %s (replaced)", fps, second.Fingerprint)
			}
			if got := ah.servedFingerprint(); got != second.Fingerprint {
				t.Fatalf("served %s after the renewal, want %s", got, second.Fingerprint)
			}
			if m := ah.listenerMetrics(); m.ACMECertificates < 2 || m.ACMEFailures != 0 {
				t.Fatalf("metrics: %d certificates, %d failures", m.ACMECertificates, m.ACMEFailures)
			}

			// Pebble refuses the name from now on: the next renewal fails,
			// then again after 200 ms, 400 ms, ...
			if err := ah.peb.DB.AddBlockedDomain(acmeHost); err != nil {
				t.Fatal(err)
			}
			f1 := ah.next(order.ACMEFailed)
			f2 := ah.next(order.ACMEFailed)
			t1, err1 := time.Parse(time.RFC3339Nano, f1.Time)
			t2, err2 := time.Parse(time.RFC3339Nano, f2.Time)
			if err1 != nil || err2 != nil || t2.Sub(t1) < 150*time.Millisecond {
				t.Errorf("second failure at %s, the first at %s: no backoff (%v %v)", f2.Time, f1.Time, err1, err2)
			}
			for _, f := range []order.Event{f1, f2} {
				if f.Address != ah.TLSAddr || !strings.Contains(f.Reason, "rejectedIdentifier") ||
					!strings.Contains(f.Reason, "next attempt at") {
					t.Errorf("failure event: %+v", f)
				}
			}
			// (A renewal may have succeeded before pebble refused the name:
			// the last certificate published is the one served.)
			if got := ah.servedFingerprint(); got != ah.lastFP {
				t.Fatalf("served %s after failures, want the last good %s", got, ah.lastFP)
			}
			if m := ah.listenerMetrics(); m.ACMEFailures < 2 || m.ACMECertificates != int64(ah.obtained) {
				t.Fatalf("metrics after failures: %d certificates (%d events), %d failures", m.ACMECertificates, ah.obtained, m.ACMEFailures)
			}
		})
	}
}

// TestACMEStorageReusedAtRestart: a proxy started again with the same
// storage serves the certificate stored there without asking the CA, which refuses the name by then; the HTTP-01
// path of a token nobody presented goes to the routes as any request; a
// wildcard hostname is reported, not tried.
func TestACMEStorageReusedAtRestart(t *testing.T) {
	httpAddr, tlsAddr := freeAddr(t), freeAddr(t)
	peb := pebbletest.Start(t, pebbletest.Options{HTTPPort: port(t, httpAddr), TLSPort: port(t, tlsAddr)})
	storage := filepath.Join(t.TempDir(), "acme")
	var fp string
	t.Run("first", func(t *testing.T) { // acme = true on the frontend
		ah := startACMEProxy(t, peb, acme.TLSALPN01, httpAddr, tlsAddr, storage, true)
		fp = ah.next(order.ACMEObtained).Fingerprint
		resp, body := ah.get(acmeHost, acme.HTTP01Prefix+"unknown-token")
		wantStatus(t, resp, body, 404) // no http frontend for the host
		// The listener serves acmeHost's certificate and nothing for the
		// frontend without acme.
		if fps := ah.certificates(); len(fps) != 1 || fps[0] != fp {
			t.Fatalf("listed %v, want [%s]", fps, fp)
		}
		if c, err := tls.Dial("tcp", tlsAddr, &tls.Config{ServerName: "other.acme.test", InsecureSkipVerify: true}); err == nil {
			c.Close()
			t.Fatal("a certificate was served for a frontend without acme")
		}
	})
	if err := peb.DB.AddBlockedDomain(acmeHost); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(storage, "*", "certs", acmeHost+".*"))
	if err != nil || len(files) != 2 {
		t.Fatalf("stored: %v %v", files, err)
	}
	t.Run("again", func(t *testing.T) { // acme = true on the listener
		ah := startACMEProxy(t, peb, acme.TLSALPN01, httpAddr, tlsAddr, storage)
		ev := ah.next(order.ACMEObtained)
		if ev.Fingerprint != fp || !strings.Contains(ev.Reason, "loaded from storage") {
			t.Fatalf("after the restart: %+v, want %s from storage", ev, fp)
		}
		if body, leaf := ah.getTLS(); body != "shop /hello" || sha(leaf.Raw) != fp {
			t.Fatalf("served %q with %s", body, sha(leaf.Raw))
		}
		// Removed by hand (or by a reload: the file does not hold it),
		// it is published again while the listener has acme = true.
		ah.Must(order.RemoveCertificate{Address: ah.TLSAddr, Fingerprint: fp})
		ev = ah.next(order.ACMEObtained)
		if ev.Fingerprint != fp || !strings.Contains(ev.Reason, "published again") {
			t.Fatalf("after remove_certificate: %+v", ev)
		}
		if fps := ah.certificates(); len(fps) != 1 || fps[0] != fp {
			t.Fatalf("listed %v", fps)
		}
		// A wildcard cannot be validated by these challenges: reported.
		ah.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: tlsAddr, Hostname: "*.acme.test", ClusterID: "shop"}})
		if ev := ah.nextFor(order.ACMEFailed, "*.acme.test"); ev.Address != tlsAddr || !strings.Contains(ev.Reason, "DNS-01") {
			t.Errorf("wildcard: %+v", ev)
		}
	})
}
