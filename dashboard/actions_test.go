package dashboard_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardShowsBackendDown: a real origin dies (its listener and
// connections closed); with the cluster's health check every 200 ms, the
// page shows the backend down, and the event, within 2 s.
func TestDashboardShowsBackendDown(t *testing.T) {
	p := startProxy(t)
	b := openBrowser(t, browserTimeout, 1280, 900)
	b.login(t, p.base(), testToken)
	b.within(t, settle, "shop-2 is up first",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-backend="shop/shop-2"][data-health="up"]`)))

	p.origins[1].Close()
	killed := time.Now()
	b.within(t, 2*time.Second, "the page shows shop-2 down",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-backend="shop/shop-2"][data-health="down"]`)),
		poll(`document.getElementById("event-list").textContent.includes("backend_down")`),
	)
	t.Logf("shown down %v after the origin died", time.Since(killed).Round(time.Millisecond))
	if got := b.text(t, `tr[data-backend="shop/shop-1"] .health`); got != "up" {
		t.Errorf("shop-1 shows %q, want up", got)
	}
	checkConsole(t, b)
}

// TestDashboardDrain: the Drain button asks first; Cancel changes
// nothing, Confirm removes the backend from the proxy (seen through the
// command socket) and from the page.
func TestDashboardDrain(t *testing.T) {
	p := startProxy(t)
	b := openBrowser(t, browserTimeout, 1280, 900)
	b.login(t, p.base(), testToken)
	drain := chromedp.CSS(`tr[data-backend="shop/shop-1"] button.drain`)

	b.run(t, "drain, then cancel",
		chromedp.Click(drain),
		chromedp.WaitVisible(chromedp.CSS(`#confirm`)),
	)
	if got := b.text(t, `#confirm-order`); got != "DELETE /api/clusters/shop/backends/shop-1" {
		t.Errorf("the dialog names %q", got)
	}
	b.run(t, "cancel", chromedp.Click(chromedp.CSS(`#confirm-cancel`)), chromedp.WaitNotVisible(chromedp.CSS(`#confirm`)))
	if _, ok := p.backends(t)["shop/shop-1"]; !ok {
		t.Fatal("Cancel removed the backend")
	}

	// Opened, cancelled and opened again in one task: the first closing's
	// close event comes after the second opening, and must not make it
	// forget its action.
	b.run(t, "drain, cancel, drain at once, then confirm",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const drain = () => document.querySelector('tr[data-backend="shop/shop-1"] button.drain').click();
			drain();
			document.getElementById("confirm-cancel").click();
			drain();
		})()`),
		chromedp.WaitVisible(chromedp.CSS(`#confirm`)),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)),
	)
	b.within(t, settle, "the dialog closes and the row goes",
		chromedp.WaitNotVisible(chromedp.CSS(`#confirm`)),
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-backend="shop/shop-1"]`)),
	)
	bs := p.backends(t)
	if _, ok := bs["shop/shop-1"]; ok {
		t.Error("the proxy still has shop-1 after the drain was confirmed")
	}
	if _, ok := bs["shop/shop-2"]; !ok {
		t.Error("the drain removed shop-2 too")
	}
	checkConsole(t, b)
}

// TestDashboardWeightAndAdd: the weight and add dialogs send their orders
// with the values typed, and an error answer stays in the dialog.
func TestDashboardWeightAndAdd(t *testing.T) {
	p := startProxy(t)
	b := openBrowser(t, browserTimeout, 1280, 900)
	b.login(t, p.base(), testToken)

	b.run(t, "change shop-2's weight",
		chromedp.Click(chromedp.CSS(`tr[data-backend="shop/shop-2"] td.actions button`)),
		chromedp.WaitVisible(chromedp.CSS(`#field-weight`)),
		setValue("field-weight", "250"),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#confirm`)),
		poll(`document.querySelector('tr[data-backend="shop/shop-2"] td:nth-child(3)').textContent === "250"`),
	)
	if w := p.backends(t)["shop/shop-2"].Weight; w != 250 {
		t.Errorf("shop-2's weight is %d after the dialog, want 250", w)
	}

	// An add whose id exists: the proxy's refusal shows in the dialog.
	add := chromedp.CSS(`div[data-cluster="shop"] .cluster-head button`)
	b.run(t, "add shop-1 again",
		chromedp.Click(add),
		chromedp.WaitVisible(chromedp.CSS(`#field-id`)),
		chromedp.SendKeys(chromedp.CSS(`#field-id`), "shop-1"),
		chromedp.SendKeys(chromedp.CSS(`#field-address`), "127.0.0.1:1"),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)),
	)
	b.within(t, settle, "the refusal shows",
		poll(`document.getElementById("confirm-error").textContent !== ""`))
	if msg := b.text(t, `#confirm-error`); !strings.Contains(msg, "shop-1") {
		t.Errorf("the dialog says %q, want the proxy's refusal naming shop-1", msg)
	}
	b.run(t, "add shop-3 instead",
		setValue("field-id", "shop-3"),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-backend="shop/shop-3"]`)),
	)
	if got := p.backends(t)["shop/shop-3"]; got.Address != "127.0.0.1:1" || got.Weight != 100 {
		t.Errorf("shop-3 is %+v, want 127.0.0.1:1 with weight 100", got.Backend)
	}
	checkConsole(t, b, "409 POST /api/clusters/shop/backends")
}

// TestDashboardEscapes: what the API says is shown as text: a request id
// holding markup (a short token without spaces or quotes is accepted as
// the id) appears in the event feed as written, and makes no element.
func TestDashboardEscapes(t *testing.T) {
	p := startProxy(t)
	b := openBrowser(t, browserTimeout, 1280, 900)
	b.login(t, p.base(), testToken)
	const id = `<img/src=x/onerror=window.pwned=1><b>bold</b>`
	req := authed(t, "PATCH", p.base()+"/api/clusters/shop/backends/shop-2", `{"weight":70}`)
	req.Header.Set("X-Request-Id", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d", resp.StatusCode)
	}
	b.within(t, settle, "the event shows",
		poll(`document.getElementById("event-list").textContent.includes("update_backend")`))
	if got := b.text(t, `#event-list`); !strings.Contains(got, "by "+id) {
		t.Errorf("the feed says %q, want the request id as written", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll("#event-list img, #event-list b").length`); n != 0 {
		t.Errorf("the request id made %d elements in the page", n)
	}
	checkConsole(t, b)
}

// setValue sets an input's value as typing would (an input event).
func setValue(id, v string) step {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event("input")); })()`, id, v))
}
