package staple

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/metrics"
)

// Item is a certificate to staple, the listener serving it and the
// listener's metrics (nil without).
type Item struct {
	Listener string
	Cert     *cert.Cert
	M        *metrics.Listener
}

// Report is the outcome of one fetch for an Item: Err nil when a response
// was stapled (valid until NextUpdate), else why not; Revoked when the
// responder says the certificate is revoked. Kept tells, on a failure,
// whether a good response fetched before is still stapled.
type Report struct {
	Item
	URL           string
	Err           error
	Revoked, Kept bool
	NextUpdate    time.Time
}

// Manager owns the fetching goroutines, one per certificate with a
// responder. Sync and Close are called from one goroutine (the proxy's
// loop); report is called from the fetching goroutines, concurrently.
type Manager struct {
	opts    Options
	client  *http.Client
	report  func(Report)
	workers map[*cert.Cert]*worker
}

type worker struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has returned
}

// New returns a manager stapling nothing until Sync.
func New(o Options, report func(Report)) *Manager {
	o = o.withDefaults()
	return &Manager{opts: o, client: newClient(o.Timeout), report: report, workers: map[*cert.Cert]*worker{}}
}

// Sync makes the set of stapled certificates items (those with an OCSP
// responder URL; the others are ignored): it starts fetching for new
// ones, and stops, waits for and withdraws the staple of those no longer
// in items. A certificate whose chain lacks its issuer is reported once
// and not fetched for.
func (m *Manager) Sync(items []Item) {
	want := make(map[*cert.Cert]Item, len(items))
	for _, it := range items {
		if it.Cert.OCSPServer() != "" {
			want[it.Cert] = it
		}
	}
	for c, w := range m.workers {
		if _, ok := want[c]; !ok {
			m.stop(c, w)
		}
	}
	for c, it := range want {
		if _, ok := m.workers[c]; ok {
			continue
		}
		issuer := c.Issuer()
		if issuer == nil {
			m.workers[c] = nil
			m.report(Report{Item: it, URL: c.OCSPServer(),
				Err: errors.New("the certificate chain does not hold the leaf's issuer, needed to ask the OCSP responder")})
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		w := &worker{cancel: cancel, done: make(chan struct{})}
		m.workers[c] = w
		go m.run(ctx, w, it, issuer)
	}
}

// stop ends c's goroutine, waits for it and withdraws c's staple.
func (m *Manager) stop(c *cert.Cert, w *worker) {
	if w != nil {
		w.cancel()
		<-w.done
	}
	c.ClearStaple()
	delete(m.workers, c)
}

// Close stops every goroutine and waits for them. The manager is unusable
// afterwards.
func (m *Manager) Close() {
	for c, w := range m.workers {
		m.stop(c, w)
	}
	m.client.CloseIdleConnections()
}

// run fetches for one certificate until ctx ends.
func (m *Manager) run(ctx context.Context, w *worker, it Item, issuer *x509.Certificate) {
	defer close(w.done)
	c, url := it.Cert, it.Cert.OCSPServer()
	var have Window // of the staple published
	failures := 0
	for {
		now := m.opts.Now()
		if !have.Next.IsZero() && !now.Before(have.Next) {
			c.ClearStaple() // expired; handshakes had stopped serving it already
			have = Window{}
		}
		fctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
		der, err := fetch(fctx, m.client, url, c.TLS.Leaf, issuer)
		cancel()
		if ctx.Err() != nil {
			return
		}
		now = m.opts.Now()
		rep := Report{Item: it, URL: url}
		if err == nil {
			r, verr := Verify(der, c.TLS.Leaf, issuer, now)
			err = verr
			if err == nil {
				c.SetStaple(der, r.NextUpdate)
				have = Window{This: r.ThisUpdate, Next: r.NextUpdate}
				rep.NextUpdate = r.NextUpdate
			} else if r != nil { // revoked or unknown: what was stapled is no longer true
				c.ClearStaple()
				have = Window{}
				rep.Revoked = errors.Is(err, ErrRevoked)
			}
		}
		if err != nil {
			failures++
			rep.Err, rep.Kept = err, !have.Next.IsZero()
		} else {
			failures = 0
		}
		m.report(rep)
		t := time.NewTimer(Next(now, have, failures, m.opts).Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
