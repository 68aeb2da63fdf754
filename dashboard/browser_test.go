package dashboard_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// browserTimeout bounds each browser test whole; settle bounds a wait for
// the page to show what the test did (a few hundred milliseconds on an
// idle machine; generous for a loaded one). The 2 s of a backend going
// down is the one deadline that is a promise.
const (
	browserTimeout = 45 * time.Second
	settle         = 10 * time.Second
)

// TestDashboardLoads: the page asks for the token, then shows every
// section from the API (clusters and backends with health, frontends, the
// certificate, the metrics stream, the event feed) with no console error
// and no exception; the only error allowed is the 401 of the first status
// request, made before the token was given.
func TestDashboardLoads(t *testing.T) {
	p := startProxy(t)
	b := openBrowser(t, browserTimeout, 1280, 900)
	b.login(t, p.base(), testToken)
	b.within(t, settle, "the sections fill",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-backend="shop/shop-1"][data-health="up"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-backend="shop/shop-2"]`)),
		poll(`document.getElementById("m-rps").textContent !== "–"`), // a metrics summary came
		poll(`document.querySelectorAll("#chart-rps polyline").length === 1`),
		poll(`document.getElementById("frontend-rows").textContent.includes("shop.test")`),
		poll(`document.getElementById("certificate-rows").textContent.includes("shop.test")`),
	)
	if got := b.text(t, `#frontend-rows`); !strings.Contains(got, "deny (403)") || !strings.Contains(got, "/admin") {
		t.Errorf("frontends: %q, want the deny route on /admin", got)
	}
	if got := b.text(t, `#certificate-rows`); !strings.Contains(got, "59 days") && !strings.Contains(got, "60 days") {
		t.Errorf("certificates: %q, want the expiry in 59 or 60 days", got)
	}
	if got := b.text(t, `tr[data-backend="shop/shop-2"] td:nth-child(3)`); got != "50" {
		t.Errorf("shop-2's weight shows %q, want 50", got)
	}
	// A config change comes through the event feed.
	resp, err := http.DefaultClient.Do(authed(t, "PATCH", p.base()+"/api/clusters/shop/backends/shop-2", `{"weight":60}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b.within(t, settle, "the event and the new weight show",
		poll(`document.getElementById("event-list").textContent.includes("update_backend")`),
		poll(`document.querySelector('tr[data-backend="shop/shop-2"] td:nth-child(3)').textContent === "60"`),
	)
	checkConsole(t, b)
}

// checkConsole fails on every console error, warning and exception but
// the browser's note of the 401 of the status request made before the
// token was given, and of the answers the test expects ("409 POST
// /api/clusters/shop/backends": the browser logs every error status, but
// not its method, so a note is allowed once per expected answer).
func checkConsole(t *testing.T, b *page, expected ...string) {
	t.Helper()
	expected = append(expected, "401 GET /api/status")
	for _, m := range b.console() {
		if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleWarning && !m.IsException() {
			continue
		}
		if m.Source == "network" {
			if i := slices.IndexFunc(expected, func(e string) bool {
				status, rest, _ := strings.Cut(e, " ")
				_, path, _ := strings.Cut(rest, " ")
				return strings.Contains(m.Text, "status of "+status+" ") && strings.HasSuffix(m.URL, path)
			}); i >= 0 {
				expected = slices.Delete(expected, i, i+1)
				continue
			}
		}
		t.Errorf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line)
	}
}

// authed is a request to the admin API with the test's token.
func authed(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}
