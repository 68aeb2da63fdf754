package proxy_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestRoutingHostnames checks exact beats wildcard beats the catch-all, the
// longer wildcard wins, and that Host is matched without its port, without
// a trailing dot and case-insensitively.
func TestRoutingHostnames(t *testing.T) {
	h := startProxy(t, nil)
	exact := newOrigin(t, "exact", nil)
	wild := newOrigin(t, "wild", nil)
	deeper := newOrigin(t, "deeper", nil)
	star := newOrigin(t, "star", nil)
	h.route("a.example.com", exact.Addr)
	h.route("*.example.com", wild.Addr)
	h.route("*.b.example.com", deeper.Addr)
	h.route("*", star.Addr)

	for _, tc := range []struct{ host, want string }{
		{"a.example.com", "exact"},
		{"A.Example.COM", "exact"},
		{"a.example.com:8080", "exact"},
		{"a.example.com.", "exact"},
		{"A.EXAMPLE.com.:80", "exact"},
		{"z.example.com", "wild"},
		{"x.y.example.com", "wild"},
		{"c.b.example.com", "deeper"},
		{"example.com", "star"},
		{"other.test", "star"},
		{"127.0.0.1", "star"},
	} {
		resp, body := h.get(tc.host, "/p")
		wantStatus(t, resp, body, 200)
		if body != tc.want+" /p" {
			t.Errorf("Host %q: served by %q, want %s", tc.host, body, tc.want)
		}
	}
}

// TestRoutingPathsAndMethods checks equals beats regex beats prefix, the
// longest prefix wins, and a frontend with a method beats one without.
func TestRoutingPathsAndMethods(t *testing.T) {
	h := startProxy(t, nil)
	names := []string{"root", "api", "apiv2", "exact", "regex", "post", "any"}
	for _, n := range names {
		o := newOrigin(t, n, nil)
		h.addCluster(n)
		h.addBackend(n, "b", o.Addr)
	}
	for _, f := range []order.HTTPFrontend{
		{Hostname: "p.test", ClusterID: "root"},
		{Hostname: "p.test", Path: "/api", ClusterID: "api"},
		{Hostname: "p.test", Path: "/api/v2", PathType: order.Prefix, ClusterID: "apiv2"},
		{Hostname: "p.test", Path: "/api/exact", PathType: order.Equals, ClusterID: "exact"},
		{Hostname: "p.test", Path: "/api/[0-9]+", PathType: order.Regex, ClusterID: "regex"},
		{Hostname: "m.test", Path: "/form", Method: "POST", ClusterID: "post"},
		{Hostname: "m.test", Path: "/form", ClusterID: "any"},
	} {
		h.addFrontend(f)
	}
	for _, tc := range []struct{ method, host, path, want string }{
		{"GET", "p.test", "/", "root"},
		{"GET", "p.test", "/other", "root"},
		{"GET", "p.test", "/api", "api"},
		{"GET", "p.test", "/api/x", "api"},
		{"GET", "p.test", "/apix", "api"}, // prefixes are not aligned on '/'
		{"GET", "p.test", "/api/v2/items", "apiv2"},
		{"GET", "p.test", "/api/exact", "exact"},
		{"GET", "p.test", "/api/exact/more", "api"},
		{"GET", "p.test", "/api/123", "regex"},
		{"GET", "p.test", "/api/123?q=1", "regex"}, // the query is not part of the path
		{"GET", "p.test", "/api/12a", "api"},       // regexes are anchored
		{"POST", "m.test", "/form", "post"},
		{"GET", "m.test", "/form", "any"},
		{"PUT", "m.test", "/form/x", "any"},
	} {
		resp, body := h.send(h.request(tc.method, tc.host, tc.path, nil))
		wantStatus(t, resp, body, 200)
		if got, _, _ := strings.Cut(body, " "); got != tc.want {
			t.Errorf("%s %s%s: served by %q, want %s", tc.method, tc.host, tc.path, body, tc.want)
		}
	}
}

var idInBody = regexp.MustCompile(`Request id: ([0-9a-f]{8}-[0-9a-f]{12})`)

// checkAnswer checks a default answer of the proxy: its status, a body
// naming the status, and the same request id in the header and the body.
func checkAnswer(t testing.TB, resp *http.Response, body string, status int) {
	t.Helper()
	wantStatus(t, resp, body, status)
	if !strings.Contains(body, http.StatusText(status)) || !strings.Contains(body, resp.Status[:3]) {
		t.Errorf("%d answer body does not name the status: %q", status, trim(body))
	}
	id := resp.Header.Get("Sluice-Request-Id")
	if id == "" {
		t.Fatalf("%d answer has no Sluice-Request-Id header", status)
	}
	m := idInBody.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%d answer body names no request id: %q", status, trim(body))
	}
	if m[1] != id {
		t.Errorf("request id in the body %q differs from the header %q", m[1], id)
	}
}

// TestRoutingNoMatchDenyNoBackend checks the proxy's own answers: 404 when
// no frontend matches, 403 from a deny frontend, 503 for a cluster without
// backends; each names the status and the request id.
func TestRoutingNoMatchDenyNoBackend(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	h.addFrontend(order.HTTPFrontend{Hostname: "app.test", Path: "/admin", Deny: true})
	h.route("empty.test")

	resp, body := h.get("nobody.test", "/")
	checkAnswer(t, resp, body, 404)
	id1 := resp.Header.Get("Sluice-Request-Id")
	resp, body = h.get("nobody.test", "/")
	checkAnswer(t, resp, body, 404)
	if id2 := resp.Header.Get("Sluice-Request-Id"); id2 == id1 {
		t.Errorf("two requests got the same request id %s", id1)
	}

	resp, body = h.get("app.test", "/admin/users")
	checkAnswer(t, resp, body, 403)

	resp, body = h.get("empty.test", "/")
	checkAnswer(t, resp, body, 503)

	// The answers left the connection usable and nothing reached the origin
	// but the one request routed to it.
	resp, body = h.get("app.test", "/ok")
	wantStatus(t, resp, body, 200)
	if n := o.Requests.Load(); n != 1 {
		t.Errorf("origin saw %d requests, want 1", n)
	}

	// HEAD gets the answer's head without a body.
	resp, body = h.send(h.request("HEAD", "nobody.test", "/", nil))
	wantStatus(t, resp, body, 404)
	if body != "" {
		t.Errorf("HEAD answer has a body %q", body)
	}
}
