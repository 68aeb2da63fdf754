package staple_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/staple"
)

// TestManagerLifecycle: Sync starts fetching for a certificate and
// publishes its staple; a later Sync without it stops the goroutine and
// withdraws the staple; certificates that cannot be asked about are
// reported, not fetched for. goleak (TestMain) checks nothing is left.
func TestManagerLifecycle(t *testing.T) {
	ca := testcert.NewCA()
	var leaf *cert.Cert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().Truncate(time.Second)
		w.Write(ca.OCSPResponse(leaf.TLS.Leaf, ocsp.Good, now, now.Add(time.Hour)))
	}))
	defer srv.Close()
	parse := func(url string, chain bool) *cert.Cert {
		l := ca.Leaf([]string{"a.test"}, testcert.Options{OCSPServer: url})
		ck := order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}
		if chain {
			ck.Chain = []string{ca.PEM}
		}
		c, err := cert.Parse(ck, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	leaf = parse(srv.URL, true)
	https, noIssuer, none := parse("https://127.0.0.1:1/", true), parse(srv.URL, false), parse("", true)
	reports := make(chan staple.Report, 16)
	m := staple.New(staple.Options{Timeout: time.Second}, func(r staple.Report) { reports <- r })
	defer m.Close()
	m.Sync([]staple.Item{{Listener: "l", Cert: leaf}, {Listener: "l", Cert: https}, {Listener: "l", Cert: noIssuer}, {Listener: "l", Cert: none}})
	got := map[*cert.Cert]staple.Report{}
	for range 3 {
		select {
		case r := <-reports:
			got[r.Cert] = r
		case <-time.After(5 * time.Second):
			t.Fatalf("reports: %d of 3", len(got))
		}
	}
	if r := got[leaf]; r.Err != nil || !r.NextUpdate.After(time.Now()) || !leaf.HasStaple() || leaf.Serving().OCSPStaple == nil {
		t.Fatalf("stapled certificate: %+v", r)
	}
	if r := got[https]; r.Err == nil || !strings.Contains(r.Err.Error(), "only http://") || https.HasStaple() {
		t.Fatalf("https responder: %v", r.Err)
	}
	if r := got[noIssuer]; r.Err == nil || !strings.Contains(r.Err.Error(), "issuer") {
		t.Fatalf("no issuer: %v", r.Err)
	}
	m.Sync([]staple.Item{{Listener: "l", Cert: noIssuer}}) // reported once only
	if leaf.HasStaple() {
		t.Fatal("staple kept after its certificate left")
	}
	select {
	case r := <-reports:
		t.Fatalf("unexpected report %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
}
