package dashboard_test

import (
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/admin"
	"github.com/sluiceproxy/sluice/dashboard"
	"github.com/sluiceproxy/sluice/order"
)

// TestAssetsSelfContained: the page loads only files of its own (no CDN:
// it works offline), every file it names is there, and the scripts never
// turn data into HTML.
func TestAssetsSelfContained(t *testing.T) {
	files := dashboard.FS()
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) < 3 {
		t.Fatalf("index.html names %d files, want the style sheet, the icon and the script", len(refs))
	}
	for _, r := range refs {
		if strings.Contains(r[1], ":") || strings.HasPrefix(r[1], "//") {
			t.Errorf("index.html loads %q from elsewhere", r[1])
			continue
		}
		if _, err := fs.Stat(files, r[1]); err != nil {
			t.Errorf("index.html names %q: %v", r[1], err)
		}
	}
	forbidden := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|https?://(?:[^w]|w[^w]|ww[^w])`)
	scripts, _ := fs.Glob(files, "*.js")
	if len(scripts) == 0 {
		t.Fatal("no script")
	}
	imports := regexp.MustCompile(`from "([^"]+)"`)
	for _, name := range scripts {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		if m := forbidden.Find(b); m != nil {
			t.Errorf("%s uses %q: put data in the page with textContent", name, m)
		}
		for _, m := range imports.FindAllSubmatch(b, -1) {
			if _, err := fs.Stat(files, strings.TrimPrefix(string(m[1]), "./")); err != nil {
				t.Errorf("%s imports %s: %v", name, m[1], err)
			}
		}
	}
}

// TestServedByAdmin: through the admin API's seam, / is the dashboard's
// page and its files have their types, with the API's
// Content-Security-Policy (no inline script or style: the page has none).
func TestServedByAdmin(t *testing.T) {
	srv, err := admin.New(admin.Config{UI: dashboard.FS(),
		Handler: func(context.Context, order.Request, func(string, *order.Content)) order.Response {
			return order.Response{Status: order.StatusOK}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		if err := <-served; err != nil {
			t.Error(err)
		}
		http.DefaultClient.CloseIdleConnections()
	}()
	for path, want := range map[string]string{
		"/":            "text/html",
		"/app.js":      "text/javascript",
		"/style.css":   "text/css",
		"/favicon.svg": "image/svg+xml",
	} {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s: %d %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if path == "/" && !strings.Contains(string(body), `<script type="module" src="app.js">`) {
			t.Errorf("GET /: not the dashboard:\n%s", body)
		}
	}
	index, _ := fs.ReadFile(dashboard.FS(), "index.html")
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|style="|\son[a-z]+=`).Match(index) {
		t.Error("index.html has inline script, style or handlers, which the Content-Security-Policy refuses")
	}
}
