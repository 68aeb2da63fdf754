package admin

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRouteOrder: whatever the path, query and body of a request, a
// route's translation into an order returns an order or an error, never
// panics, and an order it returns is of the route's kind.
func FuzzRouteOrder(f *testing.F) {
	f.Add(0, "shop", "", `{"weight":5}`)
	f.Add(1, "127.0.0.1:8080", "with_keys=true", ``)
	f.Add(2, "x", "cluster_id=a&cluster_id=b", `{"id":"x","address":"1.2.3.4:5"}`)
	f.Add(3, "%5B::1%5D:80", "buckets=maybe", `{"certificate":{"certificate":"-----BEGIN"}}`)
	f.Add(4, "a", "", `{"target":[{"kind":"add_cluster","order":{"id":"a"}}],"dry_run":true}`)
	f.Add(5, "", "", `null`)
	f.Add(6, "a", "", `{"id":1}`)
	routes := apiRoutes()
	var withOrder []route
	for _, rt := range routes {
		if rt.serve == nil {
			withOrder = append(withOrder, rt)
		}
	}
	f.Fuzz(func(t *testing.T, i int, value, query, body string) {
		if i < 0 {
			i = -i
		}
		rt := withOrder[i%len(withOrder)]
		path := rt.path
		for _, p := range rt.params {
			path = strings.ReplaceAll(path, "{"+p.name+"}", "v")
		}
		r := httptest.NewRequest(rt.method, "/", nil)
		r.URL.Path, r.URL.RawQuery = path, query
		for _, p := range rt.params {
			if strings.Contains(rt.path, "{"+p.name+"}") {
				r.SetPathValue(p.name, value)
			}
		}
		o, err := rt.order(r, []byte(body))
		if err == nil && o.Kind() != rt.kind {
			t.Fatalf("%s %s: an order of kind %s", rt.method, rt.path, o.Kind())
		}
	})
}
