package proxy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// echoed is what an echo origin saw of a request.
type echoed struct {
	Origin string            `json:"origin"`
	Host   string            `json:"host"`
	URI    string            `json:"uri"`
	H      map[string]string `json:"h"` // lowercase name -> values joined by "|"
}

// newEcho starts an origin that answers with what it saw as JSON, and
// sends Server: origin and X-Backend: 1 with it.
func newEcho(t *testing.T, name string) *origin {
	return newOrigin(t, name, echoHandler(name))
}

// newH2CEcho is newEcho speaking cleartext HTTP/2 only.
func newH2CEcho(t *testing.T, name string) string {
	o := httptest.NewUnstartedServer(echoHandler(name))
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	o.Config.Protocols = &p
	o.Start()
	t.Cleanup(o.Close)
	return o.Listener.Addr().String()
}

func echoHandler(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e := echoed{Origin: name, Host: r.Host, URI: r.RequestURI, H: map[string]string{}}
		for k, vs := range r.Header {
			e.H[strings.ToLower(k)] = strings.Join(vs, "|")
		}
		w.Header().Set("Server", "origin")
		w.Header().Set("X-Backend", "1")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e)
	}
}

// routeCase is one request of the routing and rewrite table and what must
// come of it, through either front.
type routeCase struct {
	name        string
	method      string // default GET
	host, path  string
	header      http.Header
	status      int
	origin      string            // the origin that answered; "" when the proxy did
	uri, host2  string            // what the origin saw as target and Host ("": not checked)
	seen        map[string]string // request fields the origin saw ("-": absent)
	respHeaders map[string]string // response fields the client saw ("-": absent)
	location    func(f *front) string
}

// TestFrontsRouteAndRewrite is the table of issue 16's routing and
// rewrite features, run through HTTP/1.1 and HTTP/2: conditions on header
// fields and query parameters, regex hostnames, rule positions, redirects
// (status, scheme, port, templates), https_redirect_port, host and path
// rewrites with captures, header edits of frontends and clusters.
func TestFrontsRouteAndRewrite(t *testing.T) {
	cases := []routeCase{
		// Conditions on header fields: the frontend with more conditions
		// wins, the plain one takes the rest.
		{name: "header exact", host: "shop.test", path: "/", header: http.Header{"X-Version": {"2"}}, status: 200, origin: "v2"},
		{name: "header exact, other value", host: "shop.test", path: "/", header: http.Header{"X-Version": {"3"}}, status: 200, origin: "v1"},
		{name: "no header", host: "shop.test", path: "/", status: 200, origin: "v1"},
		{name: "header regex", host: "shop.test", path: "/", header: http.Header{"X-Tenant": {"acme-42"}}, status: 200, origin: "tenant"},
		{name: "header regex anchored", host: "shop.test", path: "/", header: http.Header{"X-Tenant": {"acme-42x"}}, status: 200, origin: "v1"},
		{name: "more conditions win", host: "shop.test", path: "/", header: http.Header{"X-Version": {"2"}, "X-Beta": {"yes"}}, status: 200, origin: "beta"},
		{name: "header absent", host: "absent.test", path: "/", status: 200, origin: "v1"},
		{name: "header absent, present: the post rule", host: "absent.test", path: "/", header: http.Header{"Authorization": {"x"}}, status: 200, origin: "fallback"},
		// Query parameters, percent-decoded.
		{name: "query exact", host: "shop.test", path: "/?a=1&channel=beta", status: 200, origin: "beta"},
		{name: "query decoded", host: "shop.test", path: "/?ch%61nnel=b%65ta", status: 200, origin: "beta"},
		{name: "query other value", host: "shop.test", path: "/?channel=stable", status: 200, origin: "v1"},
		// Rule positions: a pre rule on "*" overrides every host; a post
		// rule catches what nothing else took.
		{name: "pre rule", host: "shop.test", path: "/", header: http.Header{"X-Maintenance": {"on"}}, status: 403},
		{name: "post rule", host: "nobody.test", path: "/", status: 200, origin: "fallback"},
		// Regex hostname with its capture in a host rewrite.
		{name: "regex hostname", host: "api7.test", path: "/items", status: 200, origin: "api", host2: "backend-7.internal",
			seen: map[string]string{"x-forwarded-host": "api7.test"}},
		{name: "regex hostname, no match", host: "apix.test", path: "/", status: 200, origin: "fallback"},
		// Redirects.
		{name: "redirect 308 to https port", host: "old.test", path: "/a/b?c=1", status: 308,
			location: func(*front) string { return "https://old.test:8443/a/b?c=1" }},
		{name: "redirect 302 same scheme", host: "moved.test", path: "/x", status: 302,
			location: func(f *front) string { return f.scheme() + "://moved.test/x" }},
		{name: "redirect 307 template", host: "pr7-preview.test", path: "/p", status: 307,
			location: func(*front) string { return "https://preview.example.com/pr7/p" }},
		{name: "redirect 301 default", host: "gone.test", path: "/", method: "HEAD", status: 301,
			location: func(f *front) string { return f.scheme() + "://gone.test/" }},
		// Path rewrite with the prefix capture; the query is kept.
		{name: "path rewrite", host: "shop.test", path: "/api/items?x=1", status: 200, origin: "api", uri: "/v2/items?x=1"},
		{name: "path rewrite, regex capture", host: "shop.test", path: "/u/42", status: 200, origin: "api", uri: "/users/42/profile"},
		// Host rewrite with a wildcard capture.
		{name: "host rewrite", host: "eu.wild.test", path: "/", status: 200, origin: "api", host2: "eu.internal",
			seen: map[string]string{"x-forwarded-host": "eu.wild.test"}},
		// Header edits: the frontend's over its cluster's.
		{name: "header edits", host: "edit.test", path: "/", status: 200, origin: "edits",
			header: http.Header{"X-Env": {"dev"}, "X-Debug": {"1"}, "X-Keep": {"k"}},
			seen: map[string]string{"x-env": "prod", "x-debug": "-", "x-keep": "k", "x-tag": "a", "x-cluster": "yes",
				"x-owner": "frontend"},
			respHeaders: map[string]string{"Server": "-", "X-Frame-Options": "DENY", "X-Backend": "1", "X-Powered": "sluice"}},
		{name: "cluster edits alone", host: "edit2.test", path: "/", status: 200, origin: "edits",
			header:      http.Header{"X-Env": {"dev"}},
			seen:        map[string]string{"x-env": "dev", "x-cluster": "yes", "x-owner": "cluster"},
			respHeaders: map[string]string{"Server": "origin", "X-Powered": "sluice"}},
		// The same through a cleartext HTTP/2 backend.
		{name: "h2c rewrites and edits", host: "h2c.test", path: "/old/x?q=1", status: 200, origin: "h2c",
			uri: "/new/x?q=1", header: http.Header{"X-Debug": {"1"}},
			seen:        map[string]string{"x-debug": "-", "x-cluster": "yes", "x-owner": "frontend"},
			respHeaders: map[string]string{"Server": "-", "X-Powered": "sluice"}},
	}
	eachFront(t, func(t *testing.T, f *front) {
		origins := map[string]*origin{}
		for _, n := range []string{"v1", "v2", "beta", "tenant", "fallback", "api", "edits"} {
			origins[n] = newEcho(t, n)
			f.Must(order.AddCluster{Cluster: clusterOf(n)})
			f.addBackend(n, "b0", origins[n].Addr)
		}
		h2c := clusterOf("edits")
		h2c.ID, h2c.HTTP2 = "h2c", true
		f.Must(order.AddCluster{Cluster: h2c})
		f.addBackend("h2c", "b0", newH2CEcho(t, "h2c"))
		fr := func(fe order.HTTPFrontend) { f.frontend(fe) }
		fr(order.HTTPFrontend{Hostname: "h2c.test", Path: "/old/", ClusterID: "h2c", RewritePath: "/new/$PATH[1]",
			Headers: []order.HeaderEdit{{Position: order.EditRequest, Action: order.EditDelete, Name: "X-Debug"},
				{Position: order.EditRequest, Action: order.EditSet, Name: "X-Owner", Value: "frontend"},
				{Position: order.EditResponse, Action: order.EditDelete, Name: "Server"}}})
		fr(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "v1"})
		fr(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "v2",
			MatchHeaders: []order.Predicate{{Name: "X-Version", Match: order.MatchExact, Value: "2"}}})
		fr(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "beta",
			MatchHeaders: []order.Predicate{{Name: "x-version", Match: order.MatchPrefix, Value: "2"}, {Name: "X-Beta", Match: order.MatchPresent}}})
		fr(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "tenant",
			MatchHeaders: []order.Predicate{{Name: "X-Tenant", Match: order.MatchRegex, Value: "[a-z]+-[0-9]+"}}})
		fr(order.HTTPFrontend{Hostname: "shop.test", ClusterID: "beta",
			MatchQuery: []order.Predicate{{Name: "channel", Match: order.MatchExact, Value: "beta"}}})
		fr(order.HTTPFrontend{Hostname: "absent.test", ClusterID: "v1",
			MatchHeaders: []order.Predicate{{Name: "Authorization", Match: order.MatchAbsent}}})
		fr(order.HTTPFrontend{Hostname: "*", Position: order.Pre, Deny: true,
			MatchHeaders: []order.Predicate{{Name: "X-Maintenance", Match: order.MatchPresent}}})
		fr(order.HTTPFrontend{Hostname: "*", Position: order.Post, ClusterID: "fallback"})
		fr(order.HTTPFrontend{Hostname: "/api([0-9]+)/.test", ClusterID: "api", RewriteHost: "backend-$HOST[1].internal"})
		fr(order.HTTPFrontend{Hostname: "old.test", Redirect: &order.Redirect{Status: 308, Scheme: "https", Port: 8443}})
		fr(order.HTTPFrontend{Hostname: "moved.test", ClusterID: "v1", Redirect: &order.Redirect{Status: 302}})
		fr(order.HTTPFrontend{Hostname: "/(.+)-preview/.test",
			Redirect: &order.Redirect{Status: 307, Location: "https://preview.example.com/$HOST[1]$PATH"}})
		fr(order.HTTPFrontend{Hostname: "gone.test", Redirect: &order.Redirect{}})
		fr(order.HTTPFrontend{Hostname: "shop.test", Path: "/api/", ClusterID: "api", RewritePath: "/v2/$PATH[1]"})
		fr(order.HTTPFrontend{Hostname: "shop.test", Path: "/u/([0-9]+)", PathType: order.Regex, ClusterID: "api",
			RewritePath: "/users/$PATH[1]/profile"})
		fr(order.HTTPFrontend{Hostname: "*.wild.test", ClusterID: "api", RewriteHost: "$HOST[1].internal"})
		fr(order.HTTPFrontend{Hostname: "edit.test", ClusterID: "edits", Headers: []order.HeaderEdit{
			{Position: order.EditRequest, Action: order.EditSet, Name: "X-Env", Value: "prod"},
			{Position: order.EditRequest, Action: order.EditDelete, Name: "X-Debug"},
			{Position: order.EditRequest, Action: order.EditAdd, Name: "X-Tag", Value: "a"},
			{Position: order.EditRequest, Action: order.EditSet, Name: "X-Owner", Value: "frontend"},
			{Position: order.EditResponse, Action: order.EditDelete, Name: "Server"},
			{Position: order.EditResponse, Action: order.EditSet, Name: "X-Frame-Options", Value: "DENY"},
		}})
		fr(order.HTTPFrontend{Hostname: "edit2.test", ClusterID: "edits"})
		for _, c := range cases {
			checkRouteCase(t, f, c)
		}
	})
}

// clusterOf is the cluster of the route table's origin n: "edits" has
// header edits of its own.
func clusterOf(n string) order.Cluster {
	c := order.Cluster{ID: n}
	if n == "edits" {
		c.Headers = []order.HeaderEdit{
			{Position: order.EditRequest, Action: order.EditSet, Name: "X-Cluster", Value: "yes"},
			{Position: order.EditRequest, Action: order.EditSet, Name: "X-Owner", Value: "cluster"},
			{Position: order.EditResponse, Action: order.EditAdd, Name: "X-Powered", Value: "sluice"},
		}
	}
	return c
}

func (f *front) scheme() string {
	if f.https {
		return "https"
	}
	return "http"
}

func checkRouteCase(t *testing.T, f *front, c routeCase) {
	t.Helper()
	method := c.method
	if method == "" {
		method = "GET"
	}
	req := f.request(method, c.host, c.path, nil)
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	resp, body := f.send(req)
	if resp.StatusCode != c.status {
		t.Errorf("%s: status %d, want %d\n%s", c.name, resp.StatusCode, c.status, body)
		return
	}
	if c.location != nil {
		if got, want := resp.Header.Get("Location"), c.location(f); got != want {
			t.Errorf("%s: Location %q, want %q", c.name, got, want)
		}
	}
	for k, want := range c.respHeaders {
		got, ok := resp.Header[http.CanonicalHeaderKey(k)]
		switch {
		case want == "-" && ok:
			t.Errorf("%s: response field %s = %q, want none", c.name, k, got)
		case want != "-" && strings.Join(got, "|") != want:
			t.Errorf("%s: response field %s = %q, want %q", c.name, k, got, want)
		}
	}
	if c.origin == "" {
		return
	}
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Errorf("%s: not an echo: %v\n%s", c.name, err, body)
		return
	}
	if e.Origin != c.origin {
		t.Errorf("%s: answered by %q, want %q", c.name, e.Origin, c.origin)
	}
	if c.uri != "" && e.URI != c.uri {
		t.Errorf("%s: origin saw target %q, want %q", c.name, e.URI, c.uri)
	}
	if c.host2 != "" && e.Host != c.host2 {
		t.Errorf("%s: origin saw Host %q, want %q", c.name, e.Host, c.host2)
	}
	for k, want := range c.seen {
		got, ok := e.H[k]
		switch {
		case want == "-" && ok:
			t.Errorf("%s: origin saw %s: %q, want none", c.name, k, got)
		case want != "-" && got != want:
			t.Errorf("%s: origin saw %s: %q, want %q (all: %v)", c.name, k, got, want, sortedKeys(e.H))
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%s", k, v))
	}
	sort.Strings(out)
	return out
}

// TestFrontsListenerHeaders: x_real_ip and request_id_header, set by an
// update of the listener, through both fronts.
func TestFrontsListenerHeaders(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		o := newEcho(t, "o")
		f.route("shop.test", o.Addr)
		f.Must(order.UpdateListener{Address: f.FrontAddr, XRealIP: order.Some(true), RequestIDHeader: order.Some("X-Request-Id")})
		req := f.request("GET", "shop.test", "/", nil)
		req.Header.Set("X-Real-IP", "203.0.113.9")
		req.Header.Set("X-Request-Id", "client-chosen")
		resp, body := f.send(req)
		var e echoed
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		if got := e.H["x-real-ip"]; got != "127.0.0.1" {
			t.Errorf("origin saw X-Real-IP %q, want 127.0.0.1", got)
		}
		id := e.H["x-request-id"]
		if id == "" || id == "client-chosen" || strings.Contains(id, "|") {
			t.Errorf("origin saw X-Request-Id %q, want the proxy's only", id)
		}
		if _, ok := e.H["sluice-request-id"]; ok {
			t.Errorf("origin saw Sluice-Request-Id too")
		}
		if got := resp.Header.Values("X-Request-Id"); len(got) != 1 || got[0] != id {
			t.Errorf("client saw X-Request-Id %q, want %q", got, id)
		}
		// The proxy's own answers carry it too.
		if resp, _ := f.get("nobody.test", "/"); resp.StatusCode != 404 || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("404: status %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
		}
	})
}

// TestHTTPSRedirectPort: the cluster's https_redirect keeps the port it is
// given (it was dropped before), on the http listener; an https listener
// forwards.
func TestHTTPSRedirectPort(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		o := newEcho(t, "o")
		f.Must(order.AddCluster{Cluster: order.Cluster{ID: "secure", HTTPSRedirect: true, HTTPSRedirectPort: 8443}})
		f.addBackend("secure", "b0", o.Addr)
		f.frontend(order.HTTPFrontend{Hostname: "secure.test", ClusterID: "secure"})
		resp, _ := f.get("secure.test", "/p?q=1")
		if f.https {
			if resp.StatusCode != 200 {
				t.Errorf("https: status %d, want 200", resp.StatusCode)
			}
			return
		}
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://secure.test:8443/p?q=1" {
			t.Errorf("status %d, Location %q; want 301 https://secure.test:8443/p?q=1", resp.StatusCode, resp.Header.Get("Location"))
		}
		f.Must(order.UpdateCluster{ID: "secure", HTTPSRedirectPort: order.Some(443)})
		if resp, _ := f.get("secure.test", "/p"); resp.Header.Get("Location") != "https://secure.test/p" {
			t.Errorf("port 443: Location %q", resp.Header.Get("Location"))
		}
	})
}
