package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestRouteCommands: the flags of issue 16 on frontend, cluster and
// listener commands reach the state, update only what they give, and work
// on the proxy.
func TestRouteCommands(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), "")
	run := func(want int, args ...string) string {
		t.Helper()
		out, errOut, code := cli(t, dir, append([]string{"-s", "sluice.sock"}, args...)...)
		if code != want {
			t.Fatalf("%s: exit %d, want %d: %s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out + errOut
	}
	dump := func() *order.State {
		t.Helper()
		var resp order.Response
		if err := json.Unmarshal([]byte(run(0, "--json", "state", "dump")), &resp); err != nil || resp.Content == nil {
			t.Fatalf("state dump: %v", err)
		}
		return resp.Content.State
	}
	frontend := func(host string) order.HTTPFrontend {
		t.Helper()
		for _, f := range dump().HTTPFrontends {
			if f.Hostname == host {
				return f
			}
		}
		t.Fatalf("no frontend %s", host)
		return order.HTTPFrontend{}
	}

	run(0, "frontend", "http", "add", "--address", d.front, "--hostname", "old.test", "--redirect", "308",
		"--redirect-scheme", "https", "--redirect-port", "8443")
	run(0, "frontend", "http", "add", "--address", d.front, "--hostname", "beta.test", "--cluster", "shop",
		"--position", "pre", "--match-header", "X-Beta:present", "--match-query", "v:exact:2",
		"--rewrite-path", "/v2$PATH", "--header", "response:set:X-Frame-Options=DENY", "--header", "request:delete:X-Debug")
	f := frontend("beta.test")
	want := order.HTTPFrontend{Address: d.front, Hostname: "beta.test", PathType: order.Prefix, ClusterID: "shop",
		Position: order.Pre, MatchHeaders: []order.Predicate{{Name: "x-beta", Match: order.MatchPresent}},
		MatchQuery: []order.Predicate{{Name: "v", Match: order.MatchExact, Value: "2"}}, RewritePath: "/v2$PATH",
		Headers: []order.HeaderEdit{{Position: order.EditResponse, Action: order.EditSet, Name: "X-Frame-Options", Value: "DENY"},
			{Position: order.EditRequest, Action: order.EditDelete, Name: "X-Debug"}}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("frontend\n%+v\nwant\n%+v", f, want)
	}
	req, _ := http.NewRequest("GET", "http://"+d.front+"/a?v=2", nil)
	req.Host = "beta.test"
	req.Header.Set("X-Beta", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("beta.test: %d, X-Frame-Options %q", resp.StatusCode, resp.Header.Get("X-Frame-Options"))
	}

	// An update changes only what it gives: the key flags find the
	// frontend, the cluster stays.
	run(0, "frontend", "http", "update", "--address", d.front, "--hostname", "beta.test", "--position", "pre",
		"--match-header", "X-Beta:present", "--match-query", "v:exact:2", "--no-headers")
	if f := frontend("beta.test"); f.Headers != nil || f.RewritePath != "/v2$PATH" || f.ClusterID != "shop" {
		t.Errorf("after --no-headers: %+v", f)
	}
	run(0, "frontend", "http", "update", "--address", d.front, "--hostname", "old.test", "--redirect", "302")
	if r := frontend("old.test").Redirect; r == nil || r.Status != 302 || r.Scheme != "" {
		t.Errorf("redirect after update: %+v", r)
	}
	if out := run(1, "frontend", "http", "add", "--address", d.front, "--hostname", "h.test", "--cluster", "shop",
		"--header", "request:set:Host=x"); !strings.Contains(out, "rewrite_host") {
		t.Errorf("an edit of Host: %s", out)
	}
	if out := run(2, "frontend", "http", "add", "--address", d.front, "--hostname", "h.test", "--cluster", "shop",
		"--header", "request-set-X"); !strings.Contains(out, "POSITION:ACTION:NAME") {
		t.Errorf("a malformed --header: %s", out)
	}
	if out := run(2, "frontend", "http", "add", "--address", d.front, "--hostname", "h.test"); !strings.Contains(out, "--redirect") {
		t.Errorf("no target: %s", out)
	}
	run(0, "frontend", "http", "remove", "--address", d.front, "--hostname", "beta.test", "--position", "pre",
		"--match-header", "x-beta:present", "--match-query", "v:exact:2")

	run(0, "cluster", "update", "--id", "shop", "--https-redirect-port", "8443", "--header", "request:set:X-Env=prod")
	for _, c := range dump().Clusters {
		if c.ID == "shop" && (c.HTTPSRedirectPort != 8443 || len(c.Headers) != 1) {
			t.Errorf("cluster after update: %+v", c)
		}
	}
	run(0, "listener", "update", "--address", d.front, "--x-real-ip", "--request-id-header", "X-Request-Id")
	if l := dump().Listeners[0]; !l.XRealIP || l.RequestIDHeader != "X-Request-Id" {
		t.Errorf("listener after update: %+v", l)
	}
}
