package dashboard_test

import (
	"context"
	"flag"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var (
	screenshot    = flag.String("screenshot", "", "write a PNG of the dashboard under load to this file (TestScreenshot)")
	screenshotFor = flag.Duration("screenshot-load", 65*time.Second, "how long TestScreenshot loads the proxy before the picture")
)

// TestScreenshot takes the picture of docs/dashboard.md: the dashboard of
// a proxy under a varying load of requests (some answered 500), after
// -screenshot-load. It runs only when asked:
//
//	go test ./dashboard -run TestScreenshot -screenshot ../docs/dashboard.png
func TestScreenshot(t *testing.T) {
	if *screenshot == "" {
		t.Skip("no -screenshot file")
	}
	p := startProxy(t)
	// A second cluster, "api", with two backends: the first origin and a
	// third one.
	third := httptest.NewServer(origin(3))
	defer third.Close()
	for _, o := range []struct{ method, path, body string }{
		{"POST", "/api/clusters", `{"id":"api","load_balancing":"least_loaded"}`},
		{"POST", "/api/clusters/api/backends", `{"id":"api-1","address":"` + p.origins[0].Listener.Addr().String() + `"}`},
		{"POST", "/api/clusters/api/backends", `{"id":"api-2","address":"` + third.Listener.Addr().String() + `","weight":200}`},
		{"POST", "/api/frontends/http", `{"address":"` + p.http + `","hostname":"api.test","path":"/v1","cluster_id":"api"}`},
	} {
		resp, err := http.DefaultClient.Do(authed(t, o.method, p.base()+o.path, o.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d", o.method, o.path, resp.StatusCode)
		}
	}
	b := openBrowser(t, *screenshotFor+30*time.Second, 1280, 1000)
	b.login(t, p.base(), testToken)

	ctx, cancel := context.WithTimeout(context.Background(), *screenshotFor)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	start := time.Now()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			load(ctx, p.http, w, start)
		}()
	}
	// A weight change and a backend that dies on the way, for the feed.
	time.AfterFunc(*screenshotFor/3, func() {
		if resp, err := http.DefaultClient.Do(authed(t, "PATCH", p.base()+"/api/clusters/shop/backends/shop-2", `{"weight":80}`)); err == nil {
			resp.Body.Close()
		}
	})
	select {
	case <-time.After(*screenshotFor - 3*time.Second):
	case <-t.Context().Done():
	}
	p.origins[1].Close()
	b.within(t, settle, "shop-2 goes down",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-backend="shop/shop-2"][data-health="down"]`)))
	<-ctx.Done()
	wg.Wait()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", *screenshot, len(png))

	// The confirmation of a drain, beside it.
	b.run(t, "opening the drain dialog",
		chromedp.Click(chromedp.CSS(`tr[data-backend="shop/shop-2"] button.drain`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm`)))
	png, err = chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS(`#confirm`)))
	if err != nil {
		t.Fatal(err)
	}
	dialog := strings.TrimSuffix(*screenshot, ".png") + "-confirm.png"
	if err := os.WriteFile(dialog, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", dialog, len(png))
}

// load sends requests to the shop through the proxy until ctx ends, at a
// rate that rises and falls over a minute (odd workers to the api
// cluster); one in 40 asks for /fail.
func load(ctx context.Context, addr string, worker int, start time.Time) {
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	for i := 0; i < 1_000_000 && ctx.Err() == nil; i++ {
		host, path := "shop.test", "/"
		if worker%2 == 1 {
			host, path = "api.test", "/v1/items"
		}
		if (i+worker)%40 == 0 {
			path = "/fail"
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+path, nil)
		req.Host = host
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		phase := time.Since(start).Seconds() / 60 * 2 * math.Pi
		time.Sleep(time.Duration(float64(2*time.Millisecond) * (1.6 + math.Sin(phase+float64(worker)/3))))
	}
}
