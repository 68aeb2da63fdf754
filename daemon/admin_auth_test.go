package daemon_test

import (
	"net/http"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestAdminAuth: a missing or wrong token is answered 401, a read-only
// token's write 403, a cross-site write 403, and none of them changes
// anything; a read-only token reads, but no private key.
func TestAdminAuth(t *testing.T) {
	d := startDaemon(t)
	add := `{"id":"web"}`
	cases := []struct {
		name, token, method, path, body string
		header                          []string
		status                          int
		code                            order.ErrorCode
	}{
		{name: "no token, read", method: "GET", path: "/api/clusters", status: 401, code: "unauthorized"},
		{name: "no token, write", method: "POST", path: "/api/clusters", body: add, status: 401, code: "unauthorized"},
		{name: "wrong token", token: writeToken + "x", method: "POST", path: "/api/clusters", body: add, status: 401, code: "unauthorized"},
		{name: "wrong token, same length", token: "write-token-0123456789abcdeF", method: "DELETE", path: "/api/clusters/shop", status: 401, code: "unauthorized"},
		{name: "not bearer", method: "DELETE", path: "/api/clusters/shop", header: []string{"Authorization", "Basic " + writeToken}, status: 401, code: "unauthorized"},
		{name: "read-only token, write", token: readToken, method: "POST", path: "/api/clusters", body: add, status: 403, code: "forbidden"},
		{name: "read-only token, delete", token: readToken, method: "DELETE", path: "/api/clusters/shop", status: 403, code: "forbidden"},
		{name: "read-only token, any order", token: readToken, method: "POST", path: "/api/orders", body: `{"kind":"list_clusters"}`, status: 403, code: "forbidden"},
		{name: "read-only token, keys", token: readToken, method: "GET", path: "/api/state?with_keys=true", status: 403, code: "forbidden"},
		{name: "cross-site Origin", token: writeToken, method: "POST", path: "/api/clusters", body: add,
			header: []string{"Origin", "https://evil.example"}, status: 403, code: "forbidden"},
		{name: "cross-site fetch", token: writeToken, method: "DELETE", path: "/api/clusters/shop",
			header: []string{"Sec-Fetch-Site", "cross-site"}, status: 403, code: "forbidden"},
		{name: "cross-site Origin without token", method: "POST", path: "/api/clusters", body: add,
			header: []string{"Origin", "http://evil.example"}, status: 403, code: "forbidden"},
	}
	before := jsonOf(t, d.dump(t))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, resp := d.call(t, c.token, c.method, c.path, c.body, c.header...)
			if status != c.status || resp.Status != order.StatusError || resp.Code != c.code {
				t.Errorf("HTTP %d %+v, want %d %s", status, resp, c.status, c.code)
			}
			if status == 401 && resp.Message == "" {
				t.Errorf("401 without a reason")
			}
			if after := jsonOf(t, d.dump(t)); after != before {
				t.Errorf("the state changed:\n%s\n%s", before, after)
			}
		})
	}

	// What is allowed.
	if status, resp := d.call(t, readToken, "GET", "/api/clusters", ""); status != 200 || len(resp.Content.Clusters) != 2 {
		t.Errorf("read-only read: %d %+v", status, resp)
	}
	if status, _ := d.call(t, writeToken, "POST", "/api/clusters", add, "Origin", "http://"+d.admin); status != 200 {
		t.Errorf("same-origin write: %d", status)
	}
	if status, _ := d.call(t, writeToken, "GET", "/api/state?with_keys=true", ""); status != 200 {
		t.Errorf("write token, keys: %d", status)
	}
	// The page is public; the description too.
	for _, p := range []string{"/", "/api/openapi.json"} {
		resp, err := http.Get("http://" + d.admin + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s without a token: %d", p, resp.StatusCode)
		}
	}
	// A session cookie stands for the token (EventSource sends no header).
	if status, resp := d.call(t, "", "POST", "/api/session", `{"token":"nope-nope-nope-nope"}`); status != 401 {
		t.Errorf("session with a wrong token: %d %+v", status, resp)
	}
}
