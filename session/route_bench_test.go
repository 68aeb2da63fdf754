package session

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/rewrite"
	"github.com/sluiceproxy/sluice/router"
)

// The routing and rewrites of issue 16, configured on the request path of
// the benchmark proxy: what each costs per request, and what it allocates.

// routeFeature is one configured feature of issue 16.
type routeFeature struct {
	name string
	// allocs is what a request allocates in steady state with it.
	allocs float64
	// frontend is the benchmark's frontend with the feature (its Hostname
	// is set here); extra rules go before it.
	frontend order.HTTPFrontend
	extra    []order.HTTPFrontend
	cluster  []order.HeaderEdit
	listener func(*listener.Settings)
}

var routeFeatures = []routeFeature{
	{name: "header conditions", extra: []order.HTTPFrontend{
		{Position: order.Pre, Deny: true, MatchHeaders: []order.Predicate{{Name: "X-Maintenance", Match: order.MatchPresent}}},
		{ClusterID: "c", MatchHeaders: []order.Predicate{{Name: "User-Agent", Match: order.MatchRegex, Value: "curl/.*"}}},
	}, frontend: order.HTTPFrontend{MatchHeaders: []order.Predicate{{Name: "Accept", Match: order.MatchPresent}}}},
	{name: "query conditions", extra: []order.HTTPFrontend{
		{ClusterID: "c", MatchQuery: []order.Predicate{{Name: "beta", Match: order.MatchExact, Value: "1"}}},
	}},
	{name: "path rewrite, prefix capture", frontend: order.HTTPFrontend{Path: "/", RewritePath: "/v2/$PATH[1]"}},
	{name: "path rewrite, regex capture", allocs: 1,
		frontend: order.HTTPFrontend{Path: "/([a-z]+)\\.html", PathType: order.Regex, RewritePath: "/$PATH[1]"}},
	{name: "host rewrite", frontend: order.HTTPFrontend{RewriteHost: "internal.test"}},
	{name: "header edits", frontend: order.HTTPFrontend{Headers: []order.HeaderEdit{
		{Position: order.EditRequest, Action: order.EditSet, Name: "X-Env", Value: "bench"},
		{Position: order.EditRequest, Action: order.EditDelete, Name: "Accept"},
		{Position: order.EditResponse, Action: order.EditSet, Name: "X-Frame-Options", Value: "DENY"},
		{Position: order.EditResponse, Action: order.EditDelete, Name: "Content-Type"},
	}}, cluster: []order.HeaderEdit{{Position: order.EditRequest, Action: order.EditAdd, Name: "X-Cluster", Value: "c"}}},
	{name: "x_real_ip and request_id_header", listener: func(s *listener.Settings) {
		s.XRealIP, s.RequestIDName, s.RequestIDLower = true, []byte("X-Request-Id"), []byte("x-request-id")
	}},
}

// configure returns the benchOptions.configure of feature f.
func (f routeFeature) configure(t testing.TB) func(*listener.HTTP, *backend.Cluster) {
	return func(ln *listener.HTTP, c *backend.Cluster) {
		tbl := router.New[*listener.Route]()
		for _, fe := range append(f.extra, f.frontend) {
			fe.Hostname = "bench.example.com"
			if !fe.Deny && fe.Redirect == nil {
				fe.ClusterID = "c"
			}
			rw, err := rewrite.Compile(fe)
			if err != nil {
				t.Fatal(err)
			}
			pt, _ := router.ParsePathType(string(fe.PathType))
			rule := router.Rule[*listener.Route]{Hostname: fe.Hostname, Path: fe.Path, PathType: pt,
				Target: &listener.Route{Deny: fe.Deny, Rewrite: rw}}
			if !fe.Deny {
				rule.Target.Cluster = c
			}
			rule.Position, _ = router.ParsePosition(string(fe.Position))
			for _, p := range fe.MatchHeaders {
				mt, _ := router.ParseMatchType(string(p.Match))
				rule.Headers = append(rule.Headers, router.Predicate{Name: p.Name, Type: mt, Value: p.Value})
			}
			for _, p := range fe.MatchQuery {
				mt, _ := router.ParseMatchType(string(p.Match))
				rule.Query = append(rule.Query, router.Predicate{Name: p.Name, Type: mt, Value: p.Value})
			}
			if tbl, err = tbl.Add(rule); err != nil {
				t.Fatal(err)
			}
		}
		ln.SetRoutes(tbl)
		if f.listener != nil {
			s := *ln.Settings()
			f.listener(&s)
			ln.SetSettings(&s)
		}
		if f.cluster != nil {
			s := *c.Settings()
			s.Request = rewrite.CompileEdits(f.cluster, order.EditRequest)
			s.Response = rewrite.CompileEdits(f.cluster, order.EditResponse)
			c.SetSettings(&s)
		}
	}
}

// TestRouteFeaturesAllocate: each feature of issue 16, configured, costs
// a request the allocations it documents: none, but a regex capture's one.
func TestRouteFeaturesAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; run without -race")
	}
	for _, f := range routeFeatures {
		opt := benchOptions{parkAfter: time.Second, configure: f.configure(t)}
		// The feature is on the path: the request is forwarded (200), the
		// response shows it where it can.
		conn, err := net.Dial("tcp", benchProxyAddr(t, opt))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /index.html HTTP/1.1\r\nHost: bench.example.com\r\nAccept: */*\r\nConnection: close\r\n\r\n")
		resp, _ := io.ReadAll(conn)
		conn.Close()
		if !bytes.HasPrefix(resp, []byte("HTTP/1.1 200 ")) || f.name == "header edits" && !bytes.Contains(resp, []byte("X-Frame-Options: DENY")) ||
			f.name == "x_real_ip and request_id_header" && !bytes.Contains(resp, []byte("X-Request-Id: ")) {
			t.Fatalf("%s: the proxy answered\n%s", f.name, resp)
		}
		roundTrip := benchProxy(t, opt)
		if avg := testing.AllocsPerRun(2000, roundTrip); avg < f.allocs-0.05 || avg > f.allocs+0.05 {
			t.Errorf("%s: %.3f allocations per proxied request, want %v", f.name, avg, f.allocs)
		}
	}
}

// BenchmarkRouteFeatures: a keep-alive request through the proxy with each
// feature configured (compare with BenchmarkProxyKeepAlive, none).
func BenchmarkRouteFeatures(b *testing.B) {
	for _, f := range routeFeatures {
		b.Run(f.name, func(b *testing.B) {
			roundTrip := benchProxy(b, benchOptions{parkAfter: time.Second, configure: f.configure(b)})
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				roundTrip()
			}
		})
	}
}
