package proxy_test

// The table runner of traffic features: a behaviour that belongs to the
// exchange (routing, answers, rewrites, header edits, limits, compression)
// is written once and must hold identically over every front. eachFront
// runs one test body through HTTP/1.1 on a plain http listener and through
// HTTP/2 on an https listener, each on a proxy of its own, with the same
// helpers, so one table of cases is checked through both.

import (
	"context"
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
	"github.com/sluiceproxy/sluice/proxy"
)

// frontNames are the names the https front's certificate covers.
var frontNames = []string{"test", "*.test", "*.wild.test", "example.com", "*.example.com"}

// front is one way into a proxy. Its helpers take the request's host name
// and path; the scheme, the listener and the protocol are the front's.
type front struct {
	// Name is "http1" or "http2", the subtest's name.
	Name string
	*harness
	// FrontAddr is the listener the front's frontends are added to.
	FrontAddr string
	https     bool
	hc        *http.Client
	tr        *http.Transport
}

// eachFront runs body once per front, as subtests named after the front.
// Host names of the tests must be covered by frontNames: the https front
// serves a certificate for them (clients send the host as SNI and do not
// verify; the proxy answers 421 to a host its certificate does not name).
func eachFront(t *testing.T, body func(t *testing.T, f *front)) {
	t.Helper()
	eachFrontWith(t, nil, body)
}

// eachFrontWith is eachFront on proxies whose configuration mod may
// change first (called once per front, for a proxy of its own).
func eachFrontWith(t *testing.T, mod func(t *testing.T, c *proxy.Config), body func(t *testing.T, f *front)) {
	t.Helper()
	pmod := func(t *testing.T) func(*proxy.Config) {
		if mod == nil {
			return nil
		}
		return func(c *proxy.Config) { mod(t, c) }
	}
	t.Run("http1", func(t *testing.T) {
		h := startProxy(t, pmod(t))
		hc := &http.Client{Transport: h.Tr, Timeout: 30 * time.Second, CheckRedirect: noRedirects}
		body(t, &front{Name: "http1", harness: h, FrontAddr: h.Addr, hc: hc, tr: h.Tr})
	})
	t.Run("http2", func(t *testing.T) {
		ca := testcert.NewCA()
		// The default certificate answers every SNI; a request's host must
		// still be one of its names (else 421), hence frontNames.
		th := startTLSWith(t, ca, pmod(t), func(l *order.Listener) {
			l.Certificate = certOf(ca.Leaf(frontNames, testcert.Options{}))
		})
		tr := &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, // SNI is the host; names are not the point
				NextProtos: []string{"h2"}},
			DisableCompression: true,
			ForceAttemptHTTP2:  true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", th.TLSAddr)
			},
		}
		var p http.Protocols
		p.SetHTTP2(true)
		tr.Protocols = &p
		t.Cleanup(tr.CloseIdleConnections)
		body(t, &front{Name: "http2", harness: th.harness, FrontAddr: th.TLSAddr, https: true,
			hc: &http.Client{Transport: tr, Timeout: 30 * time.Second,
				CheckRedirect: noRedirects},
			tr: tr})
	})
}

// frontend adds fr on the front's listener (its Address is overwritten).
func (f *front) frontend(fr order.HTTPFrontend) {
	f.t.Helper()
	fr.Address = f.FrontAddr
	if f.https {
		f.Must(order.AddHTTPSFrontend{HTTPFrontend: fr})
	} else {
		f.Must(order.AddHTTPFrontend{HTTPFrontend: fr})
	}
}

// route sends every request for host on this front to a new cluster named
// after it, with the given backend addresses (ids b0, b1, ...).
func (f *front) route(host string, backends ...string) string {
	f.t.Helper()
	id := "c-" + strings.NewReplacer("*", "star", ".", "_").Replace(host)
	f.addCluster(id)
	f.frontend(order.HTTPFrontend{Hostname: host, ClusterID: id})
	for i, b := range backends {
		f.addBackend(id, fmt.Sprintf("b%d", i), b)
	}
	return id
}

// request builds a request for host and path (with its query) sent to the
// front's listener.
func (f *front) request(method, host, path string, body io.Reader) *http.Request {
	f.t.Helper()
	scheme := "http://" + f.FrontAddr
	if f.https {
		scheme = "https://" + host
	}
	req, err := http.NewRequestWithContext(f.Ctx, method, scheme+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Host = host
	return req
}

// send does req and returns the response with its whole body; it fails the
// test if the response did not come over the front's protocol.
func (f *front) send(req *http.Request) (*http.Response, string) {
	f.t.Helper()
	resp, err := f.hc.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s %s%s: %v", f.Name, req.Method, req.Host, req.URL.RequestURI(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s %s%s: reading body: %v", f.Name, req.Method, req.Host, req.URL.RequestURI(), err)
	}
	if want := map[bool]int{false: 1, true: 2}[f.https]; resp.ProtoMajor != want {
		f.t.Fatalf("%s: response over HTTP/%d.%d", f.Name, resp.ProtoMajor, resp.ProtoMinor)
	}
	return resp, string(b)
}

// get sends GET host/path through the front.
func (f *front) get(host, path string) (*http.Response, string) {
	f.t.Helper()
	return f.send(f.request("GET", host, path, nil))
}

// noRedirects makes a client return redirects instead of following them:
// the tests check the proxy's answers themselves.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
