package daemon

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"sync"
	"sync/atomic"

	"github.com/sluiceproxy/sluice/admin"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// adminAPI is the admin HTTP API of [admin] address, when set: the same
// dispatcher as the command socket's (d.handle) behind package admin.
// Its socket comes from d.socks, so that an upgrade hands it over with
// the proxy's.
type adminAPI struct {
	srv *admin.Server
	ln  *net.TCPListener
	d   *daemon
	wg  sync.WaitGroup
	// handedOver is set when an upgrade gave the socket to the new
	// process: this one's copy is closed and Serve's error is expected.
	handedOver atomic.Bool
	closeOnce  sync.Once
}

// startAdmin reads the tokens, checks that a token protects an address
// off loopback, and serves the API; nil when no address is set.
func (d *daemon) startAdmin(obs *observers, ui fs.FS) (*adminAPI, error) {
	a := d.cfg.Admin
	if a.Address == "" {
		return nil, nil
	}
	var tokens admin.Tokens
	write, err := admin.ReadToken(a.TokenFile, a.TokenEnv)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if write != "" {
		tokens.Write = []string{write}
	}
	ro, err := admin.ReadToken(a.ReadOnlyTokenFile, a.ReadOnlyTokenEnv)
	if err != nil {
		return nil, fmt.Errorf("admin: read-only %w", err)
	}
	if ro != "" {
		tokens.ReadOnly = []string{ro}
	}
	if err := admin.CheckAddress(a.Address, tokens); err != nil {
		return nil, err
	}
	srv, err := admin.New(admin.Config{
		Handler: func(ctx context.Context, req order.Request, progress func(string, *order.Content)) order.Response {
			return d.handle(ctx, req.ID, req.Order, progress)
		},
		Tokens:     tokens,
		Prometheus: obs.prometheus,
		UI:         ui,
		Logger:     d.log.With("component", "admin"),
		Version:    proxy.Version,
	})
	if err != nil {
		return nil, err
	}
	ln, err := d.socks.Listen(a.Address)
	if err != nil {
		return nil, fmt.Errorf("admin: address: %w", err)
	}
	api := &adminAPI{srv: srv, ln: ln, d: d}
	api.wg.Add(1)
	go func() {
		defer api.wg.Done()
		if err := srv.Serve(ln); err != nil && !api.handedOver.Load() {
			d.log.Error("admin API stopped", "address", a.Address, "error", err)
		}
	}()
	auth := "none (loopback)"
	switch {
	case len(tokens.ReadOnly) > 0:
		auth = "bearer token, and a read-only one"
	case len(tokens.Write) > 0:
		auth = "bearer token"
	}
	d.log.Info("serving the admin API", "address", ln.Addr().String(), "auth", auth)
	return api, nil
}

// stopAccepting closes this process's copy of the admin socket once an
// upgrade has handed it over: the socket stays open in the new process,
// which accepts every connection from then on (none is refused, none
// reaches this process to be told it handed over). The requests in
// flight and the kept-alive connections are close's.
func (a *adminAPI) stopAccepting() {
	if a == nil {
		return
	}
	a.handedOver.Store(true)
	a.ln.Close()
}

// close stops the API and waits for its requests and streams; it may be
// called more than once.
func (a *adminAPI) close() {
	if a == nil {
		return
	}
	a.closeOnce.Do(func() {
		a.d.socks.Forget(a.ln)
		a.srv.Close()
		a.wg.Wait()
	})
}
