package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// record is a handler that keeps the orders it gets.
type record struct{ got chan order.Request }

func (r record) handle(ctx context.Context, req order.Request, progress func(string, *order.Content)) order.Response {
	r.got <- req
	return order.Response{Status: order.StatusOK}
}

// TestRequestsToOrders: paths, query parameters and bodies become the
// order the socket would decode; what does not fit is refused before any
// order is sent.
func TestRequestsToOrders(t *testing.T) {
	rec := record{got: make(chan order.Request, 1)}
	_, base := serve(t, Config{Handler: rec.handle, MaxBodyBytes: 1024})
	cases := []struct {
		method, path, body string
		status             int
		want               order.Order // nil: refused
		msg                string
	}{
		{"PATCH", "/api/clusters/shop/backends/b1", `{"weight":7}`, 200, order.UpdateBackend{ClusterID: "shop", ID: "b1", Weight: order.Some(7)}, ""},
		{"PATCH", "/api/clusters/shop/backends/b1", `{"cluster_id":"shop","weight":7}`, 200, order.UpdateBackend{ClusterID: "shop", ID: "b1", Weight: order.Some(7)}, ""},
		{"PATCH", "/api/clusters/shop/backends/b1", `{"cluster_id":"other","weight":7}`, 400, nil, `cluster_id: the path says "shop", the body "other"`},
		{"PATCH", "/api/clusters/shop", `{"colour":"blue"}`, 400, nil, `unknown field "colour"`},
		{"PATCH", "/api/clusters/shop", `[1]`, 400, nil, "not a JSON object"},
		{"PATCH", "/api/clusters/shop", `null`, 400, nil, "not a JSON object but null"},
		{"PATCH", "/api/clusters/shop", `{"sticky_session":true}{}`, 400, nil, "more than one JSON value"},
		{"GET", "/api/clusters?colour=blue", "", 400, nil, `unknown query parameter "colour"`},
		{"GET", "/api/state?with_keys=maybe", "", 400, nil, `with_keys: "maybe" is not true or false`},
		{"GET", "/api/state?with_keys=true", "", 200, order.DumpState{WithKeys: true}, ""},
		{"GET", "/api/metrics?cluster_id=shop&buckets=1", "", 200, order.Metrics{ClusterID: "shop", Buckets: true}, ""},
		{"DELETE", "/api/clusters/shop", `{"id":"shop"}`, 400, nil, "this route takes no body"},
		{"DELETE", "/api/listeners/127.0.0.1:8443/certificates/AB:" + strings.Repeat("CD:", 30) + "EF", "", 200,
			order.RemoveCertificate{Address: "127.0.0.1:8443", Fingerprint: "ab" + strings.Repeat("cd", 30) + "ef"}, ""},
		{"POST", "/api/clusters", `{"id":"` + strings.Repeat("x", 2000) + `"}`, 413, nil, "longer than 1024 bytes"},
		{"POST", "/api/upgrade", `{"binary":"/tmp/evil"}`, 400, nil, "binary: not taken over the admin API"},
		{"POST", "/api/orders", `{"kind":"subscribe_events"}`, 400, nil, "GET /api/events"},
		{"POST", "/api/orders", `{"id":"o1","kind":"remove_backend","order":{"cluster_id":"a","id":"b"}}`, 200, order.RemoveBackend{ClusterID: "a", ID: "b"}, ""},
	}
	for _, c := range cases {
		status, body := do(t, c.method, base+c.path, c.body)
		var resp order.Response
		if err := json.Unmarshal([]byte(body), &resp); err != nil {
			t.Fatalf("%s %s: %v: %s", c.method, c.path, err, body)
		}
		if status != c.status || !strings.Contains(resp.Message, c.msg) {
			t.Errorf("%s %s %s: %d %s, want %d %q", c.method, c.path, c.body, status, body, c.status, c.msg)
		}
		select {
		case req := <-rec.got:
			if c.want == nil {
				t.Errorf("%s %s %s: sent %#v", c.method, c.path, c.body, req.Order)
			} else if jsonString(t, req.Order) != jsonString(t, c.want) || req.Order.Kind() != c.want.Kind() {
				t.Errorf("%s %s: sent %#v, want %#v", c.method, c.path, req.Order, c.want)
			}
		default:
			if c.want != nil {
				t.Errorf("%s %s: nothing sent", c.method, c.path)
			}
		}
	}
	// The id: the client's X-Request-Id, else admin-N.
	do(t, "GET", base+"/api/status", "", "X-Request-Id", "mine-1")
	if req := <-rec.got; req.ID != "mine-1" {
		t.Errorf("id %q, want the client's", req.ID)
	}
	do(t, "GET", base+"/api/status", "", "X-Request-Id", "bad id")
	if req := <-rec.got; !strings.HasPrefix(req.ID, "admin-") {
		t.Errorf("id %q, want admin-N", req.ID)
	}
}

// TestWithoutToken: without a token only loopback names are answered
// (DNS rebinding), and writes still refuse other sites.
func TestWithoutToken(t *testing.T) {
	_, base := serve(t, Config{})
	if status, _ := do(t, "GET", base+"/api/status", ""); status != 200 {
		t.Errorf("loopback, no token: %d", status)
	}
	if status, _ := do(t, "GET", base+"/api/status", "", "Host", "localhost:9090"); status != 200 {
		t.Errorf("Host localhost: %d", status)
	}
	if status, body := do(t, "GET", base+"/api/status", "", "Host", "rebound.example:9090"); status != 403 || !strings.Contains(body, "loopback") {
		t.Errorf("Host of another name: %d %s", status, body)
	}
	if status, _ := do(t, "POST", base+"/api/clusters", `{"id":"a"}`, "Origin", "http://rebound.example"); status != 403 {
		t.Errorf("cross-site write: %d", status)
	}
}

// TestSessionCookie: POST /api/session trades a token for a cookie that
// authenticates as the token does; a read-only one stays read-only.
func TestSessionCookie(t *testing.T) {
	write, ro := strings.Repeat("w", 20), strings.Repeat("r", 20)
	_, base := serve(t, Config{Tokens: Tokens{Write: []string{write}, ReadOnly: []string{ro}}})
	jar := func(token string) *http.Cookie {
		resp, err := http.Post(base+"/api/session", "application/json", strings.NewReader(`{"token":"`+token+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == sessionCookie && c.HttpOnly && c.SameSite == http.SameSiteStrictMode {
				return c
			}
		}
		t.Fatalf("session for %q: %d, no cookie", token, resp.StatusCode)
		return nil
	}
	with := func(c *http.Cookie, method, path, body string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.AddCookie(c)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	w, r := jar(write), jar(ro)
	if s := with(w, "POST", "/api/clusters", `{"id":"a"}`); s != 200 {
		t.Errorf("write session, write: %d", s)
	}
	if s := with(r, "GET", "/api/clusters", ""); s != 200 {
		t.Errorf("read-only session, read: %d", s)
	}
	if s := with(r, "POST", "/api/clusters", `{"id":"a"}`); s != 403 {
		t.Errorf("read-only session, write: %d", s)
	}
	if s := with(&http.Cookie{Name: sessionCookie, Value: "forged-forged-forged"}, "GET", "/api/clusters", ""); s != 401 {
		t.Errorf("forged cookie: %d", s)
	}
}

func TestCheckAddress(t *testing.T) {
	tok := Tokens{Write: []string{strings.Repeat("t", 16)}}
	for _, c := range []struct {
		addr string
		t    Tokens
		ok   bool
	}{
		{"127.0.0.1:9090", Tokens{}, true},
		{"127.0.0.2:9090", Tokens{}, true},
		{"[::1]:9090", Tokens{}, true},
		{"localhost:9090", Tokens{}, true},
		{"0.0.0.0:9090", Tokens{}, false},
		{":9090", Tokens{}, false},
		{"[::]:9090", Tokens{}, false},
		{"admin.internal:9090", Tokens{}, false},
		{"192.0.2.1:9090", Tokens{}, false},
		{"0.0.0.0:9090", tok, true},
		{"127.0.0.1:9090", Tokens{ReadOnly: tok.Write}, false},
	} {
		if err := CheckAddress(c.addr, c.t); (err == nil) != c.ok {
			t.Errorf("CheckAddress(%s, %d tokens) = %v", c.addr, len(c.t.Write), err)
		}
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good", "  0123456789abcdef0123\n", 0o600)
	t.Setenv("SLUICE_TOKEN_TEST", "0123456789abcdef-env")
	t.Setenv("SLUICE_TOKEN_SHORT", "short")
	for _, c := range []struct {
		file, env, want, err string
	}{
		{file: good, want: "0123456789abcdef0123"},
		{env: "SLUICE_TOKEN_TEST", want: "0123456789abcdef-env"},
		{},
		{file: good, env: "SLUICE_TOKEN_TEST", err: "not both"},
		{env: "SLUICE_TOKEN_SHORT", err: "shorter than 16"},
		{env: "SLUICE_TOKEN_UNSET_X", err: "not set"},
		{file: file("open", "0123456789abcdef0123", 0o644), err: "chmod 600"},
		{file: file("space", "0123456789 abcdef0123", 0o600), err: "space"},
		{file: filepath.Join(dir, "none"), err: "no such file"},
	} {
		got, err := ReadToken(c.file, c.env)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("ReadToken(%q, %q) = %q, %v; want %q, %q", c.file, c.env, got, err, c.want, c.err)
		}
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
