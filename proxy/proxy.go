package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/acme"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/h2"
	"github.com/sluiceproxy/sluice/handshake"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/session"
	"github.com/sluiceproxy/sluice/staple"
	"github.com/sluiceproxy/sluice/state"
	"github.com/sluiceproxy/sluice/tcp"
)

// Version is the proxy's version, reported by the status query.
const Version = "0.1.0-dev"

// proxy is the state of one Run: only the loop goroutine touches its maps.
type proxy struct {
	cfg       Config
	state     state.State   // changed only by commit (apply.go)
	xenv      *exchange.Env // the pipeline's, shared by every HTTP front
	env       *session.Env  // the HTTP/1.1 front's
	benv      *backend.Env
	tcpEnv    *tcp.Env
	slots     *listener.Slots
	conns     sync.WaitGroup  // sessions and accept loops
	stop      *order.Shutdown // set by a shutdown order
	listeners map[string]*runListener
	// retired are removed listeners whose connections are still open
	// (long tcp relays and tunnels), so that a hard stop reaches them too;
	// pruned every tick once they have none.
	retired  []*runListener
	clusters map[string]*backend.Cluster
	started  time.Time
	tickets  *handshake.Tickets // session-ticket keys of every https listener
	// persistErrors counts failed writes of Config.SavedState.
	persistErrors int64
	events        *hub // the subscribers of Client.Subscribe
	// staples fetches the OCSP responses of https listeners' certificates
	// (see ocsp.go); closed by shutdown.
	staples *staple.Manager
	// ACME (see acme.go): nil acme without Config.ACME. acmeIn carries
	// the manager's reports to the loop; acmePublished is the fingerprint
	// published for each "listener hostname", acmeCerts the certificate
	// of each hostname managed; acmeSkipped the hostnames
	// reported as not obtainable.
	acme          *acme.Manager
	challenges    *acme.Challenges
	acmeIn        chan acme.Report
	acmePublished map[string]string
	acmeCerts     map[string]*acme.Cert // the last certificate of each managed hostname
	acmeSkipped   map[string]bool
	acmeWarned    bool

	// reclaimer finds the idle connections of the http and https
	// listeners when slots run out (see slots.go); refused counts the
	// connections max_connections_per_ip refused.
	reclaimer listener.Reclaimer
	refused   atomic.Int64
}

// runListener is a listener's runtime side: shared for http and https
// listeners, tcp for tcp listeners.
type runListener struct {
	conf     order.Listener // the settings last published
	shared   *listener.HTTP
	tcp      *tcp.Listener
	acceptor *listener.Acceptor // nil while inactive
	// tls, on https listeners, holds certificates and TLS settings; a new
	// tls_versions swaps it (each connection loads it once).
	tls   atomic.Pointer[handshake.Server]
	h2    *h2.Server      // https only: the HTTP/2 connections
	perIP *listener.PerIP // max_connections_per_ip; nil without a cap
}

// drain lets the listener's connections finish their exchange in flight.
func (rl *runListener) drain() {
	if rl.tcp != nil {
		rl.tcp.Drain()
		return
	}
	rl.shared.Drain()
	if rl.h2 != nil {
		rl.h2.Drain() // GOAWAY: streams in flight finish
	}
}

// sessions is the number of the listener's open connections.
func (rl *runListener) sessions() int {
	if rl.tcp != nil {
		return rl.tcp.Sessions()
	}
	return rl.shared.Conns()
}

// closeAll closes the listener's connections now.
func (rl *runListener) closeAll() {
	if rl.tcp != nil {
		rl.tcp.CloseAll()
		return
	}
	rl.shared.CloseAll()
	if rl.h2 != nil {
		rl.h2.CloseAll()
	}
}

// Run runs a proxy until ctx is done or the client closes its Requests
// channel, applying the orders read from end and answering each. It then
// stops accepting, lets exchanges in flight finish for up to
// Config.ShutdownGrace, closes what remains, waits for every goroutine it
// started, closes the Responses channel and returns. It returns an error only
// when a listener of cfg cannot be set up.
func Run(ctx context.Context, cfg Config, end *End) error {
	defer close(end.responses)
	defer end.hub.close()
	p := newProxy(cfg, end.hub)
	for _, l := range p.cfg.Listeners {
		if err := p.apply(order.AddListener{Listener: l}); err != nil {
			p.shutdown(ctx, end)
			return fmt.Errorf("proxy: listener %s: %w", l.Address, err)
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			p.shutdown(ctx, end)
			return nil
		case req, ok := <-end.requests:
			if !ok {
				p.shutdown(ctx, end)
				return nil
			}
			resp := p.handle(req)
			if p.stop != nil {
				// Acknowledged means no longer accepting: a new proxy
				// may bind the same addresses as soon as it has the answer.
				p.stopAccepting()
			}
			select {
			case end.responses <- resp:
			case <-ctx.Done():
				p.shutdown(ctx, end)
				return nil
			}
			if p.stop != nil {
				if p.stop.Hard {
					p.cfg.ShutdownGrace = 0
				}
				p.shutdown(ctx, end)
				return nil
			}
		case now := <-tick.C:
			p.reapIdle(now)
		case r := <-p.acmeIn: // nil without ACME
			p.acmeResult(r)
		}
	}
}

func newProxy(cfg Config, events *hub) *proxy {
	cfg = cfg.withDefaults()
	xenv := exchange.NewEnv(cfg.Logger)
	xenv.IdleBackendTimeout = cfg.IdleBackendTimeout
	xenv.AccessLog = cfg.AccessLog
	xenv.Tracer = cfg.Tracer
	xenv.BulkMax = cfg.BulkBuffers
	env := session.NewEnv(xenv)
	env.ParkAfter = cfg.ParkAfter
	p := &proxy{
		events:    events,
		cfg:       cfg,
		state:     state.New(),
		xenv:      xenv,
		env:       env,
		benv:      &backend.Env{Events: events.publish, Log: cfg.Logger, Health: cfg.Health},
		tcpEnv:    tcp.NewEnv(cfg.Logger),
		slots:     listener.NewSlots(cfg.MaxConnections),
		listeners: map[string]*runListener{},
		clusters:  map[string]*backend.Cluster{},
		started:   time.Now(),
		tickets:   handshake.NewTickets(time.Now()),
	}
	if al := cfg.AccessLog; al != nil && al.Enabled() {
		p.tcpEnv.AccessLog = al
	}
	p.slots.SetReclaim(p.reclaimIdle)
	p.staples = staple.New(cfg.OCSP, p.reportStaple)
	p.newACME()
	p.benv.Resolver, p.benv.ResolveInterval = cfg.Resolver, cfg.ResolveInterval
	return p
}

// handle applies or answers one request, and logs it: applied and refused
// orders at info, queries answered at debug, each with the request's id
// and what the order is about (order.Summary).
func (p *proxy) handle(req order.Request) order.Response {
	if req.Order != nil {
		req.Order = order.Normalize(req.Order) // fingerprints as openssl prints them, say
	}
	resp, query := p.answer(req)
	if req.Order == nil {
		p.cfg.Logger.Info("order refused", "id", req.ID, "error", resp.Message)
		return resp
	}
	switch {
	case resp.Status == order.StatusError:
		p.logOrder(slog.LevelInfo, "order refused", req, "error", resp.Message)
	case query:
		p.logOrder(slog.LevelDebug, "query answered", req)
	default:
		p.logOrder(slog.LevelInfo, "order applied", req)
	}
	return resp
}

// logOrder logs msg with the request's id, its order's kind and summary,
// and extra.
func (p *proxy) logOrder(level slog.Level, msg string, req order.Request, extra ...any) {
	if !p.cfg.Logger.Enabled(context.Background(), level) {
		return
	}
	args := append([]any{"id", req.ID, "kind", string(req.Order.Kind())}, order.Summary(req.Order)...)
	p.cfg.Logger.Log(context.Background(), level, msg, append(args, extra...)...)
}

// answer applies or answers one request; query reports a read-only order.
func (p *proxy) answer(req order.Request) (resp order.Response, query bool) {
	resp = order.Response{ID: req.ID, Status: order.StatusOK}
	if req.Order == nil {
		refuse(&resp, &order.FieldError{Field: "kind", Reason: "missing order"})
		return resp, false
	}
	if err := req.Order.Validate(); err != nil {
		refuse(&resp, err)
		return resp, false
	}
	if r, ok := req.Order.(order.Reload); ok {
		c, err := p.reload(r, req.ID)
		if err != nil {
			refuse(&resp, err)
			return resp, false
		}
		resp.Content = c
		if !r.DryRun && len(c.Orders) > 0 {
			p.persistInto(&resp)
		}
		return resp, r.DryRun
	}
	if err, ok := p.control(req.Order, req.ID); ok {
		if err != nil {
			refuse(&resp, err)
		} else if _, load := req.Order.(order.LoadState); load {
			p.persistInto(&resp)
		}
		return resp, false
	}
	if c, err, ok := p.query(req.Order); ok {
		if err != nil {
			refuse(&resp, err)
		}
		resp.Content = c
		return resp, true
	}
	if err := p.apply(req.Order); err != nil {
		refuse(&resp, err)
		return resp, false
	}
	p.changed(req.ID, req.Order)
	p.persistInto(&resp)
	return resp, false
}

// refuse makes resp an error answer with err's message and code. A batch
// (load_state, reload) refused for one of its orders is invalid as a
// whole, whatever that order's refusal was.
func refuse(resp *order.Response, err error) {
	resp.Status, resp.Message, resp.Code = order.StatusError, err.Error(), order.CodeOf(err)
	var be *state.BatchError
	if errors.As(err, &be) {
		resp.Code = order.CodeInvalid
	}
}

// changed tells the event subscribers that o, of the client's request id,
// changed the configuration.
func (p *proxy) changed(id string, o order.Order) {
	p.events.publish(order.Event{Kind: order.ConfigChanged, Time: eventTime(), Order: o.Kind(),
		Object: order.Object(o), RequestID: id})
}

// persistInto saves the configuration after an order changed it (see
// Config.SavedState) and says in resp when that failed.
func (p *proxy) persistInto(resp *order.Response) {
	if err := p.persist(); err != nil {
		resp.Message = err.Error()
	}
}

// reapIdle closes pooled backend connections idle for too long, forgets
// retired listeners whose connections have all ended, and rotates the
// session-ticket keys when their time has come.
func (p *proxy) reapIdle(now time.Time) {
	p.tickets.Rotate(now)
	keep := p.retired[:0]
	for _, rl := range p.retired {
		if rl.sessions() > 0 {
			keep = append(keep, rl)
		}
	}
	clear(p.retired[len(keep):])
	p.retired = keep
	for _, c := range p.clusters {
		for _, b := range c.Backends() {
			b.CloseExpired(now, p.cfg.IdleBackendTimeout)
		}
	}
}

// stopAccepting closes every listening socket.
func (p *proxy) stopAccepting() {
	for _, l := range p.listeners {
		if l.acceptor != nil {
			l.acceptor.Close()
			l.acceptor = nil
		}
	}
}

// shutdown stops accepting everywhere, lets exchanges in flight finish for
// the grace period, then closes what remains and waits for every goroutine.
// While it waits it still answers: status queries, a hard shutdown order
// (which cuts the wait short), and an error for anything else.
func (p *proxy) shutdown(ctx context.Context, end *End) {
	p.stopAccepting()
	for _, l := range p.listeners {
		l.drain()
	}
	done := make(chan struct{})
	go func() { p.conns.Wait(); close(done) }()
	grace := time.NewTimer(p.cfg.ShutdownGrace)
	defer grace.Stop()
	requests := end.requests
	hard := func() {
		for _, l := range p.listeners {
			l.closeAll()
		}
		for _, l := range p.retired {
			l.closeAll()
		}
	}
wait:
	for {
		select {
		case <-done:
			break wait
		case <-grace.C:
			hard()
			<-done
			break wait
		case req, ok := <-requests:
			if !ok {
				requests = nil // keep draining without orders
				continue
			}
			resp := order.Response{ID: req.ID, Status: order.StatusError, Message: "the proxy is shutting down",
				Code: order.CodeUnavailable}
			switch o := req.Order.(type) {
			case order.Status:
				resp.Status, resp.Message, resp.Content = order.StatusOK, "shutting down", &order.Content{Status: p.status()}
			case order.Shutdown:
				resp.Status, resp.Message = order.StatusOK, "already shutting down"
				if o.Hard {
					hard()
				}
				p.logOrder(slog.LevelInfo, "order applied", req)
			case nil:
			default:
				p.logOrder(slog.LevelInfo, "order refused", req, "error", resp.Message)
			}
			select {
			case end.responses <- resp:
			case <-ctx.Done():
			}
		}
	}
	for _, c := range p.clusters {
		c.Close()
	}
	p.staples.Close()
	if p.acme != nil {
		p.acme.Close()
	}
	p.env.Close() // no session is left to wake
}
