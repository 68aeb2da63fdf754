package rewrite

import (
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

func TestCompileChecksCaptures(t *testing.T) {
	cases := []struct {
		f     order.HTTPFrontend
		field string // "" when it compiles
		in    string
	}{
		{order.HTTPFrontend{Hostname: "*.shop.test", RewriteHost: "$HOST[1].internal"}, "", ""},
		{order.HTTPFrontend{Hostname: "*.shop.test", RewriteHost: "$HOST[2].internal"}, "frontend.rewrite_host", "has 1 capture"},
		{order.HTTPFrontend{Hostname: "shop.test", RewriteHost: "$HOST[1]"}, "frontend.rewrite_host", "has 0 capture"},
		{order.HTTPFrontend{Hostname: "/(a)(b)?/.test", RewritePath: "/$HOST[2]"}, "", ""},
		{order.HTTPFrontend{Hostname: "/(a)(b)?/.test", RewritePath: "/$HOST[3]"}, "frontend.rewrite_path", "has 2 capture"},
		{order.HTTPFrontend{Hostname: "h", Path: "/api/", RewritePath: "/$PATH[1]"}, "", ""},
		{order.HTTPFrontend{Hostname: "h", Path: "/api/", PathType: order.Equals, RewritePath: "/$PATH[1]"}, "frontend.rewrite_path", "equals path rule"},
		{order.HTTPFrontend{Hostname: "h", Path: "/u/([0-9]+)", PathType: order.Regex, RewritePath: "/users/$PATH[1]"}, "", ""},
		{order.HTTPFrontend{Hostname: "h", Path: "/u/([0-9]+)", PathType: order.Regex,
			Redirect: &order.Redirect{Location: "https://x/$PATH[2]"}}, "frontend.redirect.location", "has 1 capture"},
		{order.HTTPFrontend{Hostname: "h", RewritePath: "/a b"}, "frontend.rewrite_path", "cannot contain"},
	}
	for _, c := range cases {
		_, err := Compile(c.f)
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v: %v", c.f, err)
		case c.field != "" && (err == nil || !strings.HasPrefix(err.Error(), c.field+": ") || !strings.Contains(err.Error(), c.in)):
			t.Errorf("%+v: error %v, want %s: ...%s...", c.f, err, c.field, c.in)
		}
	}
	if p, err := Compile(order.HTTPFrontend{Hostname: "h", ClusterID: "c"}); p != nil || err != nil {
		t.Errorf("a frontend without rewrites compiled to %v, %v", p, err)
	}
}

func TestRewriteAndLocation(t *testing.T) {
	cases := []struct {
		f                 order.HTTPFrontend
		host, path, query string
		scheme, port      string
		wantHost          string // "" when not rewritten
		wantPath          string
		wantLocation      string
	}{
		{f: order.HTTPFrontend{Hostname: "*.shop.test", Path: "/api/", RewriteHost: "$HOST[1].internal", RewritePath: "/v2/$PATH[1]",
			Redirect: &order.Redirect{Status: 308}},
			host: "EU.Shop.Test:8080", path: "/api/items", query: "a=1", scheme: "http", port: ":8080",
			wantHost: "eu.internal", wantPath: "/v2/items", wantLocation: "http://eu.internal:8080/v2/items?a=1"},
		{f: order.HTTPFrontend{Hostname: "old.test", Redirect: &order.Redirect{Scheme: "https"}},
			host: "old.test:8080", path: "/x", scheme: "http", port: ":8080",
			wantLocation: "https://old.test/x"},
		{f: order.HTTPFrontend{Hostname: "old.test", Redirect: &order.Redirect{Scheme: "https", Port: 8443}},
			host: "old.test", path: "/x", query: "y", scheme: "http",
			wantLocation: "https://old.test:8443/x?y"},
		{f: order.HTTPFrontend{Hostname: "old.test", Redirect: &order.Redirect{Scheme: "https", Port: 443}},
			host: "old.test", path: "/", scheme: "http",
			wantLocation: "https://old.test/"},
		{f: order.HTTPFrontend{Hostname: "/(.+)-preview/.test", Redirect: &order.Redirect{Location: "https://preview.test/$HOST[1]$PATH?$QUERY"}},
			host: "pr-7-preview.test", path: "/a", query: "q", scheme: "https",
			wantLocation: "https://preview.test/pr-7/a?q"},
		{f: order.HTTPFrontend{Hostname: "h", Path: "/app", RewritePath: "$PATH[1]"},
			host: "h", path: "/app", scheme: "http", wantPath: "/"},
		{f: order.HTTPFrontend{Hostname: "h", Path: "/app", RewritePath: "$PATH[1]"},
			host: "h", path: "/app/x", scheme: "http", wantPath: "/x"},
		{f: order.HTTPFrontend{Hostname: "*.w.test", Path: "/p/", RewritePath: "/$HOST[1]/$PATH[1]"},
			host: "a.w.test", path: "/p/q", scheme: "http", wantPath: "/a/q"},
	}
	for _, c := range cases {
		p, err := Compile(c.f)
		if err != nil {
			t.Fatalf("%+v: %v", c.f, err)
		}
		var v Vars
		p.Fill(&v, []byte(c.host), []byte(c.path), []byte(c.query))
		if p.Host != nil {
			if got := string(p.AppendHost(nil, &v)); got != c.wantHost {
				t.Errorf("%s%s: host %q, want %q", c.host, c.path, got, c.wantHost)
			}
		}
		if p.Path != nil {
			if got := string(p.AppendPath([]byte("x"), &v)); got != "x"+c.wantPath {
				t.Errorf("%s%s: path %q, want %q", c.host, c.path, got, "x"+c.wantPath)
			}
		}
		if p.Redirect != nil {
			if got := string(p.AppendLocation(nil, &v, c.scheme, []byte(c.port))); got != c.wantLocation {
				t.Errorf("%s%s: location %q, want %q", c.host, c.path, got, c.wantLocation)
			}
		}
	}
}

// TestFillAllocs: captures of wildcards and prefixes allocate nothing, a
// regex's one slice.
func TestFillAllocs(t *testing.T) {
	for _, c := range []struct {
		f    order.HTTPFrontend
		want float64
	}{
		{order.HTTPFrontend{Hostname: "*.shop.test", Path: "/api/", RewritePath: "/$HOST[1]/$PATH[1]"}, 0},
		{order.HTTPFrontend{Hostname: "h", Path: "/u/([0-9]+)", PathType: order.Regex, RewritePath: "/$PATH[1]"}, 1},
		{order.HTTPFrontend{Hostname: "h", RewritePath: "/x$PATH"}, 0},
	} {
		p, err := Compile(c.f)
		if err != nil {
			t.Fatal(err)
		}
		var v Vars
		buf := make([]byte, 0, 256)
		host, path := []byte("a.shop.test"), []byte("/u/42")
		n := testing.AllocsPerRun(100, func() {
			p.Fill(&v, host, path, nil)
			buf = p.AppendPath(buf[:0], &v)
		})
		if n != c.want {
			t.Errorf("%+v: %v allocations, want %v", c.f, n, c.want)
		}
	}
}

func TestEdits(t *testing.T) {
	es := []order.HeaderEdit{
		{Position: order.EditRequest, Action: order.EditSet, Name: "X-Env", Value: "prod"},
		{Position: order.EditRequest, Action: order.EditDelete, Name: "X-Debug"},
		{Position: order.EditRequest, Action: order.EditAdd, Name: "X-Tag", Value: "a"},
		{Position: order.EditResponse, Action: order.EditSet, Name: "Server", Value: "sluice"},
	}
	req := CompileEdits(es, order.EditRequest)
	for name, want := range map[string]bool{"x-env": true, "X-ENV": true, "x-debug": true, "x-tag": false, "server": false, "x-en": false} {
		if got := req.Drops([]byte(name)); got != want {
			t.Errorf("Drops(%q) = %v, want %v", name, got, want)
		}
	}
	if got := req.Fields(); len(got) != 2 || string(got[0].Name) != "X-Env" || string(got[1].Value) != "a" {
		t.Errorf("request fields %q", got)
	}
	if resp := CompileEdits(es, order.EditResponse); len(resp.Fields()) != 1 || !resp.Drops([]byte("server")) {
		t.Errorf("response edits %+v", resp)
	}
	if e := CompileEdits(es[:3], order.EditResponse); e != nil || e.Drops([]byte("x")) || e.Fields() != nil {
		t.Errorf("no response edits: %+v", e)
	}
}
