package proxy_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestFrontsAgreeOnRouting is the first table run through both fronts:
// routing by host, path and method, deny rules and the default answers
// come out the same over HTTP/1.1 and HTTP/2.
func TestFrontsAgreeOnRouting(t *testing.T) {
	cases := []struct {
		method, host, path string
		status             int
		from               string // origin that answered; "" when the proxy did
	}{
		{"GET", "shop.test", "/", 200, "shop"},
		{"GET", "shop.test", "/api/items?x=1", 200, "api"},
		{"POST", "shop.test", "/api/items", 200, "api-post"},
		{"GET", "shop.test", "/admin/panel", 403, ""},
		{"GET", "a.wild.test", "/", 200, "wild"},
		{"GET", "nobody.test", "/", 404, ""},
	}
	eachFront(t, func(t *testing.T, f *front) {
		shop := newOrigin(t, "shop", nil)
		api := newOrigin(t, "api", nil)
		apiPost := newOrigin(t, "api-post", nil)
		wild := newOrigin(t, "wild", nil)
		f.route("shop.test", shop.Addr)
		f.route("*.wild.test", wild.Addr)
		f.addCluster("api")
		f.addBackend("api", "b0", api.Addr)
		f.addCluster("api-post")
		f.addBackend("api-post", "b0", apiPost.Addr)
		f.frontend(order.HTTPFrontend{Hostname: "shop.test", Path: "/api/", ClusterID: "api"})
		f.frontend(order.HTTPFrontend{Hostname: "shop.test", Path: "/api/", Method: "POST", ClusterID: "api-post"})
		f.frontend(order.HTTPFrontend{Hostname: "shop.test", Path: "/admin", Deny: true})
		for _, c := range cases {
			resp, body := f.send(f.request(c.method, c.host, c.path, nil))
			if resp.StatusCode != c.status {
				t.Errorf("%s %s%s: status %d, want %d\n%s", c.method, c.host, c.path, resp.StatusCode, c.status, body)
				continue
			}
			if got, _, _ := strings.Cut(body, " "); c.from != "" && got != c.from {
				t.Errorf("%s %s%s: answered by %q, want %q", c.method, c.host, c.path, got, c.from)
			}
		}
		if resp, _ := f.get("shop.test", "/"); resp.StatusCode != http.StatusOK {
			t.Errorf("keep-alive request after the table: %d", resp.StatusCode)
		}
	})
}
