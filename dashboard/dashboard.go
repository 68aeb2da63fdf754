// Package dashboard is the admin API's web dashboard: plain HTML, CSS and
// a small amount of JavaScript embedded in the binary (no build step, no
// CDN: it works offline), served by the admin listener at / (see
// admin.Config.UI and daemon.Options.AdminUI).
//
// The page shows the proxy's overview (requests per second, error rate,
// p50 and p99 over the last minutes, connections), the clusters with their
// backends and health, the frontends, the certificates with their expiry,
// and the live event feed; and it sends actions (drain, add a backend,
// change a weight) after a confirmation. Everything comes from and goes
// through /api/ on the same origin with the token the user typed (kept
// in the tab's sessionStorage and sent as a bearer token; the event
// streams use the session cookie POST /api/session sets). Data is put in
// the page as text, never as HTML. docs/dashboard.md is the user's guide.
package dashboard

import (
	"embed"
	"io/fs"
)

//go:embed assets
var assets embed.FS

// FS returns the dashboard's files, index.html at its root. It is
// read-only and safe for concurrent use.
func FS() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded folder exists: a build error otherwise
	}
	return sub
}
