package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestOpenAPIMatchesMux: every route the mux serves is described in
// /api/openapi.json and every described route is served (a request to it
// does not fall to the catch-all "no route" answer or a 405); every
// order kind has a route; every body has the order's schema.
func TestOpenAPIMatchesMux(t *testing.T) {
	s, base := serve(t, Config{})
	status, body := do(t, "GET", base+"/api/openapi.json", "")
	if status != 200 {
		t.Fatalf("openapi.json: %d", status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Comps   struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	var described []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			described = append(described, strings.ToUpper(method)+" "+path)
			var o struct {
				Kind        string          `json:"x-order-kind"`
				RequestBody json.RawMessage `json:"requestBody"`
				Responses   map[string]any  `json:"responses"`
			}
			if err := json.Unmarshal(op, &o); err != nil {
				t.Fatal(err)
			}
			if o.Responses["200"] == nil || o.Responses["default"] == nil {
				t.Errorf("%s %s: responses %v", method, path, o.Responses)
			}
			if o.RequestBody != nil && !strings.Contains(string(o.RequestBody), `"$ref"`) {
				t.Errorf("%s %s: a body without the order's schema: %s", method, path, o.RequestBody)
			}
		}
	}
	served := slices.Clone(s.patterns)
	sort.Strings(described)
	sort.Strings(served)
	if !slices.Equal(described, served) {
		t.Errorf("described:\n%s\nserved:\n%s", strings.Join(described, "\n"), strings.Join(served, "\n"))
	}

	// Every described route is served: a request reaches its handler.
	for _, op := range described {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer("{address}", "127.0.0.1:8080", "{id}", "x", "{cluster_id}", "c",
			"{fingerprint}", strings.Repeat("ab", 32)).Replace(path)
		if path == "/api/events" || path == "/api/metrics/stream" {
			continue // streams: TestEventsStream, TestMetricsStream
		}
		body := ""
		if method != "GET" && method != "DELETE" {
			body = "{}"
		}
		status, got := do(t, method, base+path, body)
		if status == http.StatusMethodNotAllowed || strings.Contains(got, "no route for") {
			t.Errorf("%s %s is described but not served: %d %s", method, path, status, got)
		}
	}
	// Paths that are not routes get the JSON 404.
	for _, op := range []string{"GET /api/nope", "POST /api/status", "DELETE /api/frontends"} {
		method, path, _ := strings.Cut(op, " ")
		if status, got := do(t, method, base+path, ""); status != 404 || !strings.Contains(got, "no route for") {
			t.Errorf("%s: %d %s", op, status, got)
		}
	}

	// Every order kind has a route; the schemas name the order types.
	kinds := map[order.Kind]bool{}
	for _, rt := range apiRoutes() {
		kinds[rt.kind] = true
	}
	for _, k := range order.Kinds() {
		if !kinds[k] {
			t.Errorf("no route sends %s", k)
		}
	}
	for _, name := range []string{"Response", "Content", "Cluster", "UpdateCluster", "Backend", "HTTPFrontend",
		"Listener", "MetricsRates", "Event", "Request"} {
		if doc.Comps.Schemas[name] == nil {
			t.Errorf("no schema %s", name)
		}
	}
	if !strings.Contains(string(doc.Comps.Schemas["UpdateBackend"]), `"weight"`) {
		t.Errorf("UpdateBackend's schema: %s", doc.Comps.Schemas["UpdateBackend"])
	}
}
