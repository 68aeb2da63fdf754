package daemon_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/daemon"
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

// TestAdminRefusedWithoutToken: a daemon asked to serve the API off
// loopback without a token (the --admin-address flag sets the address
// after the file was checked) does not start, and says why; so does one
// whose token cannot be read.
func TestAdminRefusedWithoutToken(t *testing.T) {
	for _, c := range []struct {
		name, want string
		set        func(*config.Config)
	}{
		{"every interface", "is not a loopback address: set token_file or token_env", func(c *config.Config) {
			c.Admin = config.Admin{Address: "0.0.0.0:0"}
		}},
		{"token unset", "SLUICE_TEST_NO_SUCH_TOKEN is not set", func(c *config.Config) {
			c.Admin = config.Admin{Address: "0.0.0.0:0", TokenEnv: "SLUICE_TEST_NO_SUCH_TOKEN"}
		}},
		{"token file open to others", "chmod 600", func(c *config.Config) {
			p := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(p, []byte(writeToken), 0o644); err != nil {
				t.Fatal(err)
			}
			c.Admin = config.Admin{Address: "127.0.0.1:0", TokenFile: p}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sluice.toml")
			if err := os.WriteFile(path, []byte("access_log = \"off\"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			c.set(cfg)
			log := &syncBuffer{}
			done := make(chan error, 1)
			go func() { done <- daemon.Run(cfg, daemon.Options{Stderr: log, Signals: make(chan os.Signal)}) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("Run: %v, want an error with %q", err, c.want)
				}
			case <-time.After(wait):
				t.Fatal("the daemon started")
			}
			if _, err := os.Stat(filepath.Join(dir, "sluice.sock")); !os.IsNotExist(err) {
				t.Errorf("the command socket is left: %v", err)
			}
		})
	}
}

// TestAdminAfterReload: a reload (SIGHUP) of a file whose [admin] changed
// applies its objects and leaves the API as it was, with its tokens, and
// says so in the log.
func TestAdminAfterReload(t *testing.T) {
	d := startDaemon(t)
	path := filepath.Join(d.dir, "sluice.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), `token_env = "SLUICE_TEST_ADMIN_TOKEN"`, `token_env = "SLUICE_TEST_OTHER"`, 1)
	text = strings.Replace(text, "[clusters.db]", "[clusters.web]\n\n[clusters.db]", 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The reload applies the file's new cluster; the old token still works.
	deadline := time.Now().Add(wait)
	status, resp := d.call(t, writeToken, "GET", "/api/clusters/web", "")
	for status == 404 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		status, resp = d.call(t, writeToken, "GET", "/api/clusters/web", "")
	}
	if status != 200 {
		t.Errorf("after a reload, the old token: %d %+v", status, resp)
	}
	if log := d.log.String(); !strings.Contains(log, "[admin] changed in the file") {
		t.Errorf("log:\n%s", log)
	}
	if status, _ := d.call(t, "", "GET", "/api/clusters", ""); status != 401 {
		t.Errorf("after a reload, no token: %d", status)
	}
}
