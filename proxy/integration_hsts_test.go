package proxy_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestHSTSAndRedirect: HSTS from the listener or the cluster (the cluster
// wins) on https responses and answers, never on plain http, never doubling
// a backend's own; https_redirect answers 301 on http and serves on https.
func TestHSTSAndRedirect(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) { l.HSTS = &order.HSTS{MaxAge: 600} })
	th.addCert(ca.Leaf([]string{"shop.test", "own.test", "plain.test", "none.test"}, testcert.Options{}))
	o := newOrigin(t, "app", nil)
	own := newOrigin(t, "own", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=5")
	})
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: "shop", HTTPSRedirect: true,
		HSTS: &order.HSTS{MaxAge: 31536000, IncludeSubDomains: true, Preload: true}}})
	th.addBackend("shop", "b0", o.Addr)
	th.addFrontend(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "shop"})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "shop.test", ClusterID: "shop"}})
	th.routeTLS("own.test", "own", own.Addr)
	th.routeTLS("plain.test", "plain", o.Addr)

	const clusterHSTS = "max-age=31536000; includeSubDomains; preload"
	for _, h2 := range []bool{false, true} {
		hc := th.client("shop.test", h2)
		for host, want := range map[string]string{
			"shop.test":  clusterHSTS,   // the cluster's
			"own.test":   "max-age=5",   // the backend's own is kept
			"plain.test": "max-age=600", // the listener's
			"none.test":  "max-age=600", // 404 answer: the listener's
		} {
			req, _ := http.NewRequest("GET", "https://shop.test/", nil)
			req.Host = host
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := resp.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != want {
				t.Errorf("h2=%v %s (%d): HSTS %q, want %q", h2, host, resp.StatusCode, got, want)
			}
		}
	}
	// Plain http: the redirect, without HSTS.
	th.HC.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, body := th.get("shop.test", "/cart?id=7")
	wantStatus(t, resp, body, 301)
	if loc := resp.Header.Get("Location"); loc != "https://shop.test/cart?id=7" {
		t.Errorf("Location %q", loc)
	}
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS on plain http: %q", h)
	}
	if n := o.Requests.Load(); n != 4 {
		t.Errorf("origin saw %d requests, want 4 (the redirect reaches none)", n)
	}
	// Preload without includeSubDomains is refused.
	r := th.Do(order.AddCluster{Cluster: order.Cluster{ID: "bad", HSTS: &order.HSTS{MaxAge: 31536000, Preload: true}}})
	if r.Status != order.StatusError {
		t.Errorf("preload without include_subdomains: %s", r.Status)
	}
}
