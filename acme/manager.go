package acme

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/go-acme/lego/v5/lego"
)

// Options configure a Manager. Zero fields take the defaults.
type Options struct {
	// Email is the account's contact address (optional): the CA writes
	// to it about expiring certificates and problems.
	Email string
	// Directory is the CA's directory URL. Default LetsEncrypt.
	Directory string
	// CA is a PEM bundle of the roots trusted for the directory's TLS;
	// empty: the system's roots.
	CA string
	// Storage is the folder of the account and certificates (see Store).
	// Required.
	Storage string
	// AgreeTerms agrees to the CA's terms of service when the account is
	// registered (Let's Encrypt requires it).
	AgreeTerms bool
	// Challenges are the challenge types answered (HTTP01, TLSALPN01),
	// the first one first: each attempt uses one, and an attempt after a
	// failure uses the next in the list. Default: TLS-ALPN-01 (which needs
	// only the https listener), then HTTP-01.
	Challenges []string
	// Policy is the retry backoff after failures.
	Policy Policy
	// Timeout bounds one attempt (account, order, validation, download).
	// Default 2 minutes.
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HTTPClient talks to the CA; default one trusting CA (tests wrap it).
	HTTPClient *http.Client
	// Logger receives the manager's logs (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Directory == "" {
		o.Directory = LetsEncrypt
	}
	if len(o.Challenges) == 0 {
		o.Challenges = []string{TLSALPN01, HTTP01}
	}
	o.Policy = o.Policy.withDefaults()
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Report is the outcome of one step for a host name: a certificate
// loaded from disk or obtained (Cert set, Err nil), or a failed attempt
// (Err set; the certificate published before, if any, stays). Next is
// when the next attempt is due.
type Report struct {
	Name     string
	Cert     *Cert
	FromDisk bool
	// Challenge is the challenge type the attempt answered ("" for a
	// certificate loaded from disk).
	Challenge string
	Err       error
	Failures  int // failed attempts in a row, Err's included
	Next      time.Time
}

// Manager obtains and renews a certificate per host name, one goroutine
// each. Sync and Close are called from one goroutine (the proxy's loop);
// report is called from the manager's goroutines, concurrently, with the
// goroutine's context: it may block (a certificate waits there until the
// proxy has taken it) but must return when that context ends.
type Manager struct {
	opts   Options
	store  *Store
	ch     *Challenges
	http   *http.Client
	log    *slog.Logger
	report func(context.Context, Report)

	mu     sync.Mutex // one attempt at a time; guards client
	client *lego.Client

	workers map[string]*worker
}

type worker struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has returned
}

// New returns a manager managing no name until Sync. It checks the
// options but does not reach the CA (the first attempt does).
func New(o Options, ch *Challenges, report func(context.Context, Report)) (*Manager, error) {
	o = o.withDefaults()
	if o.Storage == "" {
		return nil, errors.New("acme: storage: a folder is needed for the account and certificates")
	}
	for _, c := range o.Challenges {
		if c != HTTP01 && c != TLSALPN01 {
			return nil, fmt.Errorf("acme: challenges: %q is not %s or %s", c, HTTP01, TLSALPN01)
		}
	}
	st, err := NewStore(o.Storage, o.Directory)
	if err != nil {
		return nil, err
	}
	hc := o.HTTPClient
	if hc == nil {
		if hc, err = newHTTPClient(o.CA); err != nil {
			return nil, err
		}
	}
	setLegoLogger(o.Logger)
	return &Manager{opts: o, store: st, ch: ch, http: hc, log: o.Logger, report: report,
		workers: map[string]*worker{}}, nil
}

// Sync makes names the set of host names managed: it starts a goroutine
// for each new one and stops (and waits for) those of names no longer
// given. Names are exact host names, lower case; the caller leaves out
// wildcards, which HTTP-01 and TLS-ALPN-01 cannot validate.
func (m *Manager) Sync(names []string) {
	for n, w := range m.workers {
		if !slices.Contains(names, n) {
			w.cancel()
			<-w.done
			delete(m.workers, n)
		}
	}
	for _, n := range names {
		if _, ok := m.workers[n]; ok {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		w := &worker{cancel: cancel, done: make(chan struct{})}
		m.workers[n] = w
		go m.run(ctx, w, n)
	}
}

// Names are the host names managed, in no order.
func (m *Manager) Names() []string {
	var ns []string
	for n := range m.workers {
		ns = append(ns, n)
	}
	return ns
}

// Close stops every goroutine and waits for them. The manager is
// unusable afterwards.
func (m *Manager) Close() {
	for n, w := range m.workers {
		w.cancel()
		<-w.done
		delete(m.workers, n)
	}
	m.http.CloseIdleConnections()
}

// run manages one name until ctx ends: the stored certificate first (if
// it is still valid), then an attempt whenever the schedule says.
func (m *Manager) run(ctx context.Context, w *worker, name string) {
	defer close(w.done)
	var st Status
	if c, err := m.store.Load(name); err == nil && m.opts.Now().Before(c.Leaf.NotAfter) {
		st = st.Succeeded(c.Leaf.NotBefore, c.Leaf.NotAfter)
		m.report(ctx, Report{Name: name, Cert: c, FromDisk: true, Next: Next(st, m.opts.Policy)})
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		m.log.Warn("acme: stored certificate unusable, obtaining a new one", "name", name, "error", err)
	}
	for {
		if at := Next(st, m.opts.Policy); !at.IsZero() {
			if !m.sleep(ctx, at) {
				return
			}
		}
		typ := m.opts.Challenges[st.Failures%len(m.opts.Challenges)]
		actx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
		c, err := m.obtain(actx, name, typ)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = m.store.Save(name, c) // not served from disk, then, but served
			if err != nil {
				m.log.Error("acme: certificate obtained but not stored", "name", name, "error", err)
			}
			st = st.Succeeded(c.Leaf.NotBefore, c.Leaf.NotAfter)
			m.report(ctx, Report{Name: name, Cert: c, Challenge: typ, Next: Next(st, m.opts.Policy)})
			continue
		}
		st = st.Failed(m.opts.Now())
		m.report(ctx, Report{Name: name, Challenge: typ, Err: err, Failures: st.Failures, Next: Next(st, m.opts.Policy)})
	}
}

// sleep waits until at by the manager's clock, or ctx's end (false).
// It wakes at least every minute to read the clock again, so that a
// clock that jumped (a suspended machine) is honoured.
func (m *Manager) sleep(ctx context.Context, at time.Time) bool {
	for {
		d := at.Sub(m.opts.Now())
		if d <= 0 {
			return true
		}
		t := time.NewTimer(min(d, time.Minute))
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}
