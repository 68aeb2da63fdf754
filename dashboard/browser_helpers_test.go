package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium (package chromium) with
// chromedp. SLUICE_NO_BROWSER=1 skips them; without a browser they fail
// in CI (CI set: .ci/run installs the package) and are skipped, loudly,
// elsewhere so that `go test ./...` passes on a fresh machine.

// chromium returns the browser's path: $SLUICE_CHROMIUM, else the first
// of the usual names found.
func chromium() (string, error) {
	if p := os.Getenv("SLUICE_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("SLUICE_CHROMIUM: %w", err)
		}
		return p, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found (/usr/bin/chromium: apt-get install chromium)")
}

// skipNotice prints the loud message of a skip once.
var skipNotice sync.Once

// needBrowser skips or fails the test when there is no browser to run.
func needBrowser(t *testing.T) string {
	t.Helper()
	if os.Getenv("SLUICE_NO_BROWSER") == "1" {
		t.Skip("SLUICE_NO_BROWSER=1: browser tests skipped")
	}
	path, err := chromium()
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%v: the browser tests must run in CI (.ci/run installs it)", err)
	}
	skipNotice.Do(func() {
		fmt.Fprintf(os.Stderr, "\n*** dashboard: %v: THE BROWSER TESTS ARE SKIPPED.\n"+
			"*** Install it (apt-get install -y chromium), or set SLUICE_NO_BROWSER=1 to say so on purpose.\n\n", err)
	})
	t.Skipf("%v: skipped outside CI", err)
	return ""
}

// page is one headless browser with one tab, and the console messages the
// tab wrote.
type page struct {
	ctx context.Context // the tab's; every action is bounded by it

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// openBrowser starts a headless Chromium in a fresh profile; the test's
// cleanup kills it and waits for it and for the console reader. Every
// action is bounded by timeout.
func openBrowser(t *testing.T, timeout time.Duration, width, height int) *page {
	t.Helper()
	path := needBrowser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
	}
	ctx, cancelTime := context.WithTimeout(context.Background(), timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tctx, cancelTab := chromedp.NewContext(actx)
	p := &page{ctx: tctx}
	if err := chromedp.Do(tctx); err != nil { // starts the browser
		cancelTab()
		cancelAlloc()
		cancelTime()
		t.Fatalf("starting %s: %v", path, err)
	}
	messages := chromedp.Console(tctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.messages = append(p.messages, m)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		// Closing the tab's context closes the browser (its first tab);
		// the allocator's waits for the process.
		_ = chromedp.Cancel(tctx)
		cancelTab()
		cancelAlloc()
		cancelTime()
		<-done
	})
	return p
}

// console returns the messages written so far.
func (p *page) console() []chromedp.ConsoleMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), p.messages...)
}

// Step is an action of the tab that returns nothing.
type step = chromedp.Action[chromedp.Void]

// run runs actions in the tab, failing the test with what it was doing.
func (p *page) run(t *testing.T, what string, actions ...step) {
	t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		t.Fatalf("%s: %v\nconsole:\n%s", what, err, p.dumpConsole())
	}
}

// within runs actions bounded by d (an action that waits for a selector
// waits at most d).
func (p *page) within(t *testing.T, d time.Duration, what string, actions ...step) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s (within %v): %v\nconsole:\n%s", what, d, err, p.dumpConsole())
	}
}

func (p *page) dumpConsole() string {
	var b strings.Builder
	for _, m := range p.console() {
		fmt.Fprintf(&b, "  %s %s (%s)\n", m.Type, m.Text, m.URL)
	}
	return b.String()
}

// text returns the text of the first node matching sel.
func (p *page) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// eval returns the value of a JavaScript expression in the page.
func eval[T any](t *testing.T, p *page, expr string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// poll waits until a JavaScript expression is true.
func poll(expr string) step {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))
}

// login opens the dashboard and enters the token in its form, then waits
// for the lists and the event stream.
func (p *page) login(t *testing.T, base, token string) {
	t.Helper()
	p.run(t, "opening the dashboard",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
	)
	p.within(t, settle, "the page asks for the token",
		chromedp.WaitVisible(chromedp.CSS(`#status[data-kind="warn"]`)))
	p.run(t, "entering the token",
		chromedp.SendKeys(chromedp.CSS(`#token`), token),
		chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)),
	)
	p.within(t, settle, "the dashboard connects",
		chromedp.WaitVisible(chromedp.CSS(`#status[data-kind="ok"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-backend]`)),
		poll(`document.getElementById("events-state").textContent === "live"`),
	)
}
