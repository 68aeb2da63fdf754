package admin

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/sluiceproxy/sluice/order"
)

// The OpenAPI 3.1 description is made from the route table and the order
// types themselves (their JSON fields, by reflection), so that it cannot
// say other than what the server does; TestOpenAPIMatchesMux checks the
// table against the mux and every order kind against the table.

// openAPI is the server's description, made once.
type openAPI struct {
	once sync.Once
	doc  []byte
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	s.openAPI.once.Do(func() {
		b, err := json.MarshalIndent(OpenAPI(s.cfg.Version), "", "  ")
		if err != nil {
			panic(err) // maps and strings only: cannot fail
		}
		s.openAPI.doc = append(b, '\n')
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openAPI.doc)
}

// OpenAPI returns the description of every route as an OpenAPI 3.1
// document (JSON-ready maps), stating version.
func OpenAPI(version string) map[string]any {
	g := &schemas{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	resp := g.of(reflect.TypeOf(order.Response{}))
	for _, rt := range apiRoutes() {
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
		}
		var params []any
		for _, p := range rt.params {
			in, required := "query", false
			schema := map[string]any{"type": "string"}
			if strings.Contains(rt.path, "{"+p.name+"}") {
				in, required = "path", true
			} else if p.bool {
				schema = map[string]any{"type": "boolean"}
			}
			params = append(params, map[string]any{"name": p.name, "in": in, "required": required,
				"description": p.doc, "schema": schema})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.kind != "" {
			op["x-order-kind"] = string(rt.kind)
		}
		if rt.body {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.of(orderType(rt.kind))}}}
		}
		if rt.path == "/api/orders" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.of(reflect.TypeOf(order.Request{}))}}}
		}
		answer := map[string]any{"application/json": map[string]any{"schema": resp}}
		ok := map[string]any{"description": "the order's answer, as the command socket's final line", "content": answer}
		switch rt.produces {
		case "text/event-stream":
			ok = map[string]any{"description": "Server-Sent Events: each message's data is one JSON value " +
				"(an event of the feed, or an order.MetricsRates summary); an `end` message carries the final answer " +
				"when the server ends the stream", "content": map[string]any{"text/event-stream": map[string]any{
				"schema": map[string]any{"type": "string"}}}}
			if rt.path == "/api/metrics/stream" {
				g.of(reflect.TypeOf(order.MetricsRates{}))
			} else {
				g.of(reflect.TypeOf(order.Event{}))
			}
		case "text/plain", "text/html":
			ok = map[string]any{"description": "the document", "content": map[string]any{
				rt.produces: map[string]any{"schema": map[string]any{"type": "string"}}}}
		}
		if rt.path == "/api/openapi.json" {
			ok = map[string]any{"description": "this document", "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		op["responses"] = map[string]any{
			"200":     ok,
			"default": map[string]any{"description": "an error: 400 invalid, 401 no or wrong token, 403 read-only token or cross-site, 404 not found, 409 conflict, 413 too large, 503 unavailable", "content": answer},
		}
		if rt.path == "/" || rt.path == "/api/openapi.json" || (rt.path == "/api/session" && rt.method == "POST") {
			op["security"] = []any{} // public
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Sluice admin API", "version": version,
			"description": "Every order of the command socket over HTTP; see docs/admin-api.md."},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func operationID(rt route) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(rt.method+"_"+rt.path), "_"), "_")
}

// orderType is the Go type of an order kind, as order.Request decodes it.
func orderType(k order.Kind) reflect.Type {
	var req order.Request
	if err := json.Unmarshal([]byte(`{"kind":"`+string(k)+`"}`), &req); err != nil {
		panic("admin: route of unknown order kind " + string(k)) // the table is wrong
	}
	return reflect.TypeOf(req.Order)
}

// schemas makes JSON Schemas of Go types as encoding/json writes them;
// named structs go to defs and are referred to.
type schemas struct{ defs map[string]any }

var (
	durationType = reflect.TypeOf(order.Duration(0))
	requestType  = reflect.TypeOf(order.Request{})
	rawType      = reflect.TypeOf(json.RawMessage(nil))
)

func (g *schemas) of(t reflect.Type) map[string]any {
	switch {
	case t == durationType:
		return map[string]any{"type": "string", "description": "a duration: 1500ms, 30s, 2m, 1h30m"}
	case t == rawType:
		return map[string]any{}
	case t == requestType:
		return g.ref("Request", func() map[string]any {
			kinds := []string{}
			for _, k := range order.Kinds() {
				kinds = append(kinds, string(k))
			}
			return map[string]any{"type": "object", "additionalProperties": false,
				"description": "an order as the command socket takes it",
				"properties": map[string]any{
					"id":    map[string]any{"type": "string"},
					"kind":  map[string]any{"type": "string", "enum": kinds},
					"order": map[string]any{"type": "object", "description": "the fields of the kind's order"},
				}, "required": []string{"kind"}}
		})
	case isOpt(t):
		return nullable(g.of(t.Field(1).Type))
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(g.of(t.Elem()))
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		return g.ref(t.Name(), func() map[string]any { return g.object(t) })
	}
	return map[string]any{}
}

// ref puts the schema made by mk under name (once) and refers to it.
func (g *schemas) ref(name string, mk func() map[string]any) map[string]any {
	if _, ok := g.defs[name]; !ok {
		g.defs[name] = map[string]any{} // a placeholder stops recursion
		g.defs[name] = mk()
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// object is a struct's schema: its JSON fields, those of embedded
// structs included.
func (g *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.fields(t, props)
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

func (g *schemas) fields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type)
	}
}

// isOpt reports order.Opt[T]: an update's field, absent or set (null
// clears it).
func isOpt(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.PkgPath() == "github.com/sluiceproxy/sluice/order" &&
		strings.HasPrefix(t.Name(), "Opt[") && t.NumField() == 2
}

func nullable(s map[string]any) map[string]any {
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}
