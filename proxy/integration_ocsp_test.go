package proxy_test

// OCSP stapling over real sockets: an in-process responder (httptest,
// signing with the test CA through x/crypto/ocsp), the proxy fetching from
// it, and crypto/tls clients reading ConnectionState().OCSPResponse.

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/sluiceproxy/sluice/handshake"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
	"github.com/sluiceproxy/sluice/staple"
)

// The responder's answers.
const (
	answerGood int32 = iota
	answerRevoked
	answerFail    // 500
	answerForeign // a good response signed by another CA
)

// responder is an OCSP responder for one CA.
type responder struct {
	ca, foreign *testcert.CA
	answer      atomic.Int32
	validity    atomic.Int64 // of its responses, nanoseconds
	hits        atomic.Int64
	srv         *httptest.Server
}

func newResponder(t *testing.T, ca *testcert.CA, validity time.Duration) *responder {
	r := &responder{ca: ca, foreign: testcert.NewCA()}
	r.validity.Store(int64(validity))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		body, _ := io.ReadAll(req.Body)
		q, err := ocsp.ParseRequest(body)
		if req.Method != http.MethodPost || err != nil {
			http.Error(w, "bad OCSP request", http.StatusBadRequest)
			return
		}
		// The responder knows the serial only: sign for a stand-in leaf.
		leaf := &x509.Certificate{SerialNumber: q.SerialNumber}
		now := time.Now().Truncate(time.Second)
		next := now.Add(time.Duration(r.validity.Load()))
		var der []byte
		switch r.answer.Load() {
		case answerGood:
			der = r.ca.OCSPResponse(leaf, ocsp.Good, now, next)
		case answerRevoked:
			der = r.ca.OCSPResponse(leaf, ocsp.Revoked, now, next)
		case answerForeign:
			der = r.foreign.OCSPResponse(leaf, ocsp.Good, now, next)
		default:
			http.Error(w, "responder down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// ocspHarness is a proxy with an https listener serving one certificate
// whose leaf names the responder, and the proxy's events and metrics.
type ocspHarness struct {
	*tlsHarness
	resp   *responder
	leaf   *x509.Certificate
	events <-chan order.Event
	reg    *metrics.Registry
}

func startOCSP(t *testing.T, validity time.Duration, answer int32, mod func(*order.Listener)) *ocspHarness {
	t.Helper()
	ca := testcert.NewCA()
	r := newResponder(t, ca, validity)
	r.answer.Store(answer)
	reg := metrics.NewRegistry()
	h := startProxy(t, func(c *proxy.Config) {
		c.Metrics = reg
		c.OCSP = staple.Options{Timeout: 2 * time.Second, MinRetry: 100 * time.Millisecond, MaxRetry: time.Second}
	})
	events := h.Client.Subscribe(h.Ctx)
	l := order.Listener{Protocol: order.HTTPS, Address: freeAddr(t), Active: true}
	if mod != nil {
		mod(&l)
	}
	h.Must(order.AddListener{Listener: l})
	leaf := ca.Leaf([]string{"ocsp.test"}, testcert.Options{OCSPServer: r.srv.URL + "/ocsp"})
	h.Must(order.AddCertificate{Address: l.Address, Certificate: order.CertificateAndKey{
		Certificate: leaf.Cert, Key: leaf.Key, Chain: []string{ca.PEM}}})
	return &ocspHarness{tlsHarness: &tlsHarness{harness: h, TLSAddr: l.Address, CA: ca},
		resp: r, leaf: leaf.X509, events: events, reg: reg}
}

// staple handshakes (ALPN protos) and returns the stapled response, parsed
// and checked against the CA, or nil when none was stapled.
func (oh *ocspHarness) staple(protos ...string) *ocsp.Response {
	oh.t.Helper()
	c, err := oh.handshake(oh.tlsConfig("ocsp.test", protos...))
	if err != nil {
		oh.t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	der := c.ConnectionState().OCSPResponse
	if der == nil {
		return nil
	}
	r, err := ocsp.ParseResponseForCert(der, oh.leaf, oh.CA.Cert)
	if err != nil {
		oh.t.Fatalf("stapled response does not verify: %v", err)
	}
	return r
}

// waitEvent returns the next event of kind, failing after d.
func (oh *ocspHarness) waitEvent(kind order.EventKind, d time.Duration) order.Event {
	oh.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-oh.events:
			if !ok {
				oh.t.Fatalf("event stream closed waiting for %s", kind)
			}
			if ev.Kind == kind {
				if ev.Address != oh.TLSAddr || ev.Fingerprint != sha(oh.leaf.Raw) {
					oh.t.Fatalf("%s event about %s %s", kind, ev.Address, ev.Fingerprint)
				}
				return ev
			}
		case <-timeout:
			oh.t.Fatalf("no %s event within %v", kind, d)
		}
	}
}

func (oh *ocspHarness) listenerMetrics() order.ListenerMetrics {
	oh.t.Helper()
	for _, l := range oh.Must(order.Metrics{}).Content.Metrics.Listeners {
		if l.Address == oh.TLSAddr {
			return l
		}
	}
	oh.t.Fatalf("no metrics for %s", oh.TLSAddr)
	return order.ListenerMetrics{}
}

// TestOCSPStapled: by default a certificate naming a responder is served
// with a good response from it, over HTTP/1.1 and HTTP/2 alike; the
// response is fetched once, not per handshake.
func TestOCSPStapled(t *testing.T) {
	oh := startOCSP(t, time.Hour, answerGood, nil)
	oh.waitEvent(order.OCSPStapled, ioTimeout)
	for _, protos := range [][]string{{handshake.ProtoHTTP}, {handshake.ProtoH2}, nil} {
		r := oh.staple(protos...)
		if r == nil {
			t.Fatalf("ALPN %v: no staple", protos)
		}
		if r.Status != ocsp.Good || r.SerialNumber.Cmp(oh.leaf.SerialNumber) != 0 || !r.NextUpdate.After(time.Now()) {
			t.Fatalf("ALPN %v: stapled status %d serial %v nextUpdate %s", protos, r.Status, r.SerialNumber, r.NextUpdate)
		}
	}
	if n := oh.resp.hits.Load(); n != 1 {
		t.Errorf("responder asked %d times, want 1 (half of an hour has not passed)", n)
	}
	if m := oh.listenerMetrics(); m.OCSPStaples != 1 || m.OCSPFailures != 0 {
		t.Errorf("metrics: %d staples, %d failures", m.OCSPStaples, m.OCSPFailures)
	}
}

// TestOCSPRefresh: a response valid 2 s is fetched again at half of its
// window; handshakes get the newer one.
func TestOCSPRefresh(t *testing.T) {
	oh := startOCSP(t, 2*time.Second, answerGood, nil)
	oh.waitEvent(order.OCSPStapled, ioTimeout)
	first := oh.staple()
	if first == nil {
		t.Fatal("no staple")
	}
	oh.waitEvent(order.OCSPStapled, ioTimeout)
	eventually(t, ioTimeout, "a newer staple", func() bool {
		r := oh.staple()
		return r != nil && r.ThisUpdate.After(first.ThisUpdate)
	})
	if n := oh.resp.hits.Load(); n < 2 {
		t.Errorf("responder asked %d times", n)
	}
}

// TestOCSPResponderFails: with a responder that fails from the start,
// nothing is stapled and the failure is reported; when it fails after a
// good response, that response stays stapled until its nextUpdate, then
// none is.
func TestOCSPResponderFails(t *testing.T) {
	t.Run("from the start", func(t *testing.T) {
		oh := startOCSP(t, time.Hour, answerFail, nil)
		ev := oh.waitEvent(order.OCSPFailed, ioTimeout)
		if !strings.Contains(ev.Reason, "500") || !strings.Contains(ev.Reason, "no staple served") {
			t.Errorf("reason %q", ev.Reason)
		}
		if r := oh.staple(); r != nil {
			t.Fatalf("stapled status %d, thisUpdate %s", r.Status, r.ThisUpdate)
		}
		oh.waitEvent(order.OCSPFailed, ioTimeout) // retried, backing off
		if m := oh.listenerMetrics(); m.OCSPFailures < 2 || m.OCSPStaples != 0 {
			t.Errorf("metrics: %d staples, %d failures", m.OCSPStaples, m.OCSPFailures)
		}
	})
	t.Run("after a good response", func(t *testing.T) {
		oh := startOCSP(t, 4*time.Second, answerGood, nil)
		oh.waitEvent(order.OCSPStapled, ioTimeout)
		good := oh.staple()
		if good == nil {
			t.Fatal("no staple")
		}
		oh.resp.answer.Store(answerFail)
		ev := oh.waitEvent(order.OCSPFailed, ioTimeout) // at half of the window
		if !strings.Contains(ev.Reason, "still stapled") {
			t.Errorf("reason %q", ev.Reason)
		}
		if time.Now().Before(good.NextUpdate) {
			if r := oh.staple(); r == nil || !r.ThisUpdate.Equal(good.ThisUpdate) {
				t.Fatalf("before its nextUpdate the good response is not served (got %v)", r != nil)
			}
		}
		eventually(t, 2*ioTimeout, "the expired staple to go", func() bool { return oh.staple() == nil })
		if time.Now().Before(good.NextUpdate) {
			t.Fatalf("staple dropped before its nextUpdate %s", good.NextUpdate)
		}
	})
}

// TestOCSPNotStapled: a revoked status, or a response not signed by the
// certificate's issuer, is never stapled; a revoked status withdraws the
// good staple served before.
func TestOCSPNotStapled(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer int32
		reason string
	}{{"revoked", answerRevoked, "revoked"}, {"foreign signer", answerForeign, "invalid OCSP response"}} {
		t.Run(c.name, func(t *testing.T) {
			oh := startOCSP(t, time.Hour, c.answer, nil)
			ev := oh.waitEvent(order.OCSPFailed, ioTimeout)
			if !strings.Contains(ev.Reason, c.reason) {
				t.Errorf("reason %q, want %q", ev.Reason, c.reason)
			}
			if r := oh.staple(); r != nil {
				t.Fatalf("stapled status %d, thisUpdate %s", r.Status, r.ThisUpdate)
			}
		})
	}
	t.Run("revoked after good", func(t *testing.T) {
		oh := startOCSP(t, 6*time.Second, answerGood, nil)
		oh.waitEvent(order.OCSPStapled, ioTimeout)
		good := oh.staple()
		if good == nil {
			t.Fatal("no staple")
		}
		oh.resp.answer.Store(answerRevoked)
		ev := oh.waitEvent(order.OCSPFailed, ioTimeout)
		if !strings.Contains(ev.Reason, "revoked") || !strings.Contains(ev.Reason, "no staple served") {
			t.Errorf("reason %q", ev.Reason)
		}
		if r := oh.staple(); r != nil {
			t.Fatalf("stapled status %d, thisUpdate %s after a revoked status", r.Status, r.ThisUpdate)
		}
		if !time.Now().Before(good.NextUpdate) {
			t.Skip("too slow to tell a withdrawal from an expiry")
		}
	})
}

// TestOCSPStaplingSwitch: ocsp_stapling = false fetches nothing; turning it
// on with update_listener staples, turning it off again withdraws the
// staple at once.
func TestOCSPStaplingSwitch(t *testing.T) {
	off, on := false, true
	oh := startOCSP(t, time.Hour, answerGood, func(l *order.Listener) { l.OCSPStapling = &off })
	if r := oh.staple(); r != nil {
		t.Fatalf("stapled with ocsp_stapling off (thisUpdate %s)", r.ThisUpdate)
	}
	oh.Must(order.UpdateListener{Address: oh.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{OCSPStapling: order.Some(&on)}})
	oh.waitEvent(order.OCSPStapled, ioTimeout)
	if r := oh.staple(); r == nil {
		t.Fatal("no staple once on")
	}
	oh.Must(order.UpdateListener{Address: oh.TLSAddr, UpdateListenerTLS: order.UpdateListenerTLS{OCSPStapling: order.Some(&off)}})
	if r := oh.staple(); r != nil {
		t.Fatalf("still stapled once off (thisUpdate %s)", r.ThisUpdate)
	}
	if n := oh.resp.hits.Load(); n != 1 {
		t.Errorf("responder asked %d times, want 1 (only while on)", n)
	}
}
