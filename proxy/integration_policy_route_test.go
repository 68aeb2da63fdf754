package proxy_test

import (
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sluiceproxy/sluice/order"
)

// TestFrontsPolicyWithRewrites: the traffic policy (policy-guard) and the
// routing and rewrites (policy-route) on the same frontends, through both
// fronts. Basic auth strips Authorization among the configured header
// edits and a path rewrite; a rate limit on a frontend with a header
// condition counts only the requests that frontend takes; a redirect
// frontend answers before the cluster's rate limit; compressed responses
// keep the response edits.
func TestFrontsPolicyWithRewrites(t *testing.T) {
	bh, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	auth := &order.BasicAuth{Realm: "staff", Users: map[string]string{"alice": string(bh)}}
	minute := order.Duration(time.Minute)
	cases := []routeCase{
		// Basic auth, a path rewrite and request edits: the origin sees
		// the edits and the rewritten path, never the credentials.
		{name: "no credentials", host: "guarded.test", path: "/a", status: 401},
		{name: "credentials", host: "guarded.test", path: "/a?q=1",
			header: http.Header{"Authorization": {basic("alice", "s3cret")}, "X-Debug": {"1"}},
			status: 200, origin: "o", uri: "/v2/a?q=1",
			seen:        map[string]string{"authorization": "-", "x-env": "prod", "x-debug": "-"},
			respHeaders: map[string]string{"X-Frame-Options": "DENY"}},
		// The rate limit belongs to the frontend with the condition: the
		// plain frontend of the same host is not counted.
		{name: "beta 1", host: "limited.test", path: "/", header: http.Header{"X-Beta": {"1"}}, status: 200, origin: "o"},
		{name: "beta 2", host: "limited.test", path: "/", header: http.Header{"X-Beta": {"1"}}, status: 429},
		{name: "plain 1", host: "limited.test", path: "/", status: 200, origin: "o"},
		{name: "plain 2", host: "limited.test", path: "/", status: 200, origin: "o"},
		// A redirect frontend answers first; the cluster's rate limit of
		// one request a minute is not spent by it.
		{name: "redirect 1", host: "old.test", path: "/x", status: 308,
			location: func(f *front) string { return "https://new.test/x" }},
		{name: "redirect 2", host: "old.test", path: "/x", status: 308,
			location: func(f *front) string { return "https://new.test/x" }},
		{name: "limited cluster 1", host: "new.test", path: "/", status: 200, origin: "o"},
		{name: "limited cluster 2", host: "new.test", path: "/", status: 429},
		// Compression and response edits of the cluster and the frontend.
		{name: "compressed", host: "zipped.test", path: "/", header: http.Header{"Accept-Encoding": {"gzip"}}, status: 200,
			respHeaders: map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding", "X-Frame-Options": "DENY", "X-Backend": "-"}},
	}
	eachFront(t, func(t *testing.T, f *front) {
		o := newEcho(t, "o")
		f.addCluster("c")
		f.addBackend("c", "b0", o.Addr)
		f.frontend(order.HTTPFrontend{Hostname: "guarded.test", ClusterID: "c", BasicAuth: auth, RewritePath: "/v2$PATH",
			Headers: []order.HeaderEdit{
				{Position: order.EditRequest, Action: order.EditSet, Name: "X-Env", Value: "prod"},
				{Position: order.EditRequest, Action: order.EditDelete, Name: "X-Debug"},
				{Position: order.EditResponse, Action: order.EditSet, Name: "X-Frame-Options", Value: "DENY"}}})
		f.frontend(order.HTTPFrontend{Hostname: "limited.test", ClusterID: "c",
			MatchHeaders: []order.Predicate{{Name: "X-Beta", Match: order.MatchPresent}},
			RateLimit:    &order.RateLimit{Rate: 1, Period: minute}})
		f.frontend(order.HTTPFrontend{Hostname: "limited.test", ClusterID: "c"})
		f.Must(order.AddCluster{Cluster: order.Cluster{ID: "slow", Protocol: order.HTTP,
			RateLimit: &order.RateLimit{Rate: 1, Period: minute, Key: order.LimitRoute}}})
		f.addBackend("slow", "b0", o.Addr)
		f.frontend(order.HTTPFrontend{Hostname: "old.test", ClusterID: "slow",
			Redirect: &order.Redirect{Status: 308, Location: "https://new.test$PATH"}})
		f.frontend(order.HTTPFrontend{Hostname: "new.test", ClusterID: "slow"})
		f.Must(order.AddCluster{Cluster: order.Cluster{ID: "z", Protocol: order.HTTP,
			Compression: &order.Compression{Algorithms: []string{"gzip"}, MinSize: 1},
			Headers:     []order.HeaderEdit{{Position: order.EditResponse, Action: order.EditSet, Name: "X-Frame-Options", Value: "DENY"}}}})
		f.addBackend("z", "b0", o.Addr)
		f.frontend(order.HTTPFrontend{Hostname: "zipped.test", ClusterID: "z",
			Headers: []order.HeaderEdit{{Position: order.EditResponse, Action: order.EditDelete, Name: "X-Backend"}}})
		for _, c := range cases {
			checkRouteCase(t, f, c)
		}
	})
}
