// Package daemon runs Sluice as a process: it starts the proxy from a
// configuration file, replays the saved state, serves the command socket,
// and turns signals into soft and hard shutdowns. It is the composition root
// of the `sluice start` command; the library itself is package proxy.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// Options are what the daemon needs besides the configuration.
type Options struct {
	// Stderr receives the logs.
	Stderr io.Writer
	// Signals, when set, replaces the process's SIGINT and SIGTERM (tests).
	Signals <-chan os.Signal
	// Ready, when set, is called once the proxy serves and the command
	// socket accepts orders.
	Ready func()
}

// Run serves until a shutdown order or a signal: the first SIGINT or
// SIGTERM stops softly (in-flight requests finish within the grace period),
// a second one stops at once. SIGHUP asks for a reload (see reload),
// SIGUSR1 reopens the access log. It returns nil after a clean stop. The
// command socket file is removed on every return.
func Run(cfg *config.Config, o Options) error {
	level := new(slog.LevelVar)
	level.Set(cfg.LogLevel)
	logger := slog.New(slog.NewTextHandler(o.Stderr, &slog.HandlerOptions{Level: level}))

	// Signals first: one that comes while the proxy starts waits for the
	// loop below instead of killing the process (and leaving the socket).
	sigs := o.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		sigs = ch
	}
	reopen := make(chan os.Signal, 1) // SIGUSR1: reopen the access log (rotation)
	signal.Notify(reopen, syscall.SIGUSR1)
	defer signal.Stop(reopen)
	hup := make(chan os.Signal, 1) // SIGHUP: reload
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	srv, err := command.Listen(cfg.CommandSocket)
	if err != nil {
		return err
	}
	defer srv.Close()

	pcfg := cfg.Proxy
	pcfg.Logger, pcfg.LogLevel, pcfg.ShutdownGrace = logger, level, cfg.ShutdownGrace
	pcfg.SavedState = cfg.SavedState // every order is on disk before its answer
	obs, err := startObservers(cfg, logger)
	if err != nil {
		return err
	}
	defer obs.close() // after the proxy: the last lines and counts go out
	pcfg.Metrics, pcfg.AccessLog = obs.metrics, obs.accessLog
	client, end := proxy.NewChannel(64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- proxy.Run(ctx, pcfg, end) }()
	fail := func(err error) error {
		cancel()
		<-stopped
		return err
	}

	if err := initialState(ctx, cfg, client, logger); err != nil {
		return fail(err)
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	var inFlight atomic.Int64 // orders being answered
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(func(ctx context.Context, o order.Order, progress command.Progress) order.Response {
			inFlight.Add(1)
			defer inFlight.Add(-1)
			switch o := o.(type) { // long orders say they are under way
			case order.SubscribeEvents:
				return streamEvents(ctx, client, progress)
			case order.LoadState:
				progress("loading state from "+o.Path, nil)
			case order.Shutdown:
				if !o.Hard {
					progress("stopping: no new connections; requests in flight finish", nil)
				}
			}
			// The client's id goes on, so that the proxy's log names it.
			resp, err := client.DoRequest(ctx, order.Request{ID: command.RequestID(ctx), Order: o})
			if err != nil {
				return order.Response{Status: order.StatusError, Message: "proxy unavailable: " + err.Error()}
			}
			return resp
		})
	}()

	logger.Info("sluice started", "config", cfg.Path, "command_socket", cfg.CommandSocket)
	if o.Ready != nil {
		o.Ready()
	}
	signals := 0
	for {
		select {
		case err := <-stopped:
			// Let the orders being answered (the shutdown order among them)
			// get their answer before the socket closes.
			for deadline := time.Now().Add(2 * time.Second); inFlight.Load() > 0 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			srv.Close()
			logger.Info("sluice stopped")
			return err
		case <-reopen:
			obs.reopen()
		case sig := <-hup:
			logger.Info("reload requested", "signal", sig.String(), "config", cfg.Path)
			reload(ctx, cfg.Path, client, logger)
		case sig := <-sigs:
			signals++
			hard := signals > 1
			logger.Info("signal received, shutting down", "signal", sig.String(), "hard", hard)
			wg.Add(1)
			id := "signal-" + sig.String()
			go func() {
				defer wg.Done()
				_, _ = client.DoRequest(ctx, order.Request{ID: id, Order: order.Shutdown{Hard: hard}})
			}()
		}
	}
}

// reload makes the running proxy follow the configuration file at path
// again (SIGHUP). For now it only reads the file: when it has errors they
// are logged and nothing changes; when it loads, that is logged and nothing
// changes either.
//
// TODO(reload): apply it: make the running state equal to the file's
// objects (state.Diff of the running state and cfg.Orders' state) as one
// all-or-nothing batch of orders through client (SPEC §8 "Reload").
func reload(ctx context.Context, path string, client *proxy.Client, logger *slog.Logger) {
	cfg, err := config.Load(path)
	if err != nil {
		logger.Error("reload failed: the configuration file has errors; nothing changed", "config", path, "error", err)
		return
	}
	resp, err := client.DoRequest(ctx, order.Request{ID: "signal-hup", Order: order.Reload{Target: order.Requests(cfg.Orders)}})
	switch {
	case err != nil:
		logger.Error("reload failed: the proxy is unavailable", "error", err)
	case resp.Status == order.StatusError:
		logger.Error("reload failed; nothing changed", "config", path, "error", resp.Message)
	default:
		logger.Info("reload applied", "config", path, "orders", len(resp.Content.Orders))
	}
}

// streamEvents sends the proxy's events as "processing" answers until the
// client goes away (ctx) or the proxy stops.
func streamEvents(ctx context.Context, client *proxy.Client, progress command.Progress) order.Response {
	events := client.Subscribe(ctx)
	progress("subscribed to events", nil)
	for ev := range events {
		progress("", &order.Content{Event: &ev})
	}
	if ctx.Err() != nil {
		return order.Response{Status: order.StatusOK, Message: "unsubscribed"}
	}
	return order.Response{Status: order.StatusOK, Message: "the proxy stopped"}
}

// apply sends one order with the id and turns an error answer into an
// error.
func apply(ctx context.Context, c *proxy.Client, id string, o order.Order) error {
	resp, err := c.DoRequest(ctx, order.Request{ID: id, Order: o})
	if err != nil {
		return err
	}
	if resp.Status == order.StatusError {
		return errors.New(resp.Message)
	}
	return nil
}

// initialState gives the proxy its configuration at start. With a
// saved_state that exists, that file is the state (load_state, one batch)
// and the configuration file's objects are not applied: they were when the
// state was first saved, and orders since then changed it; `sluice
// reload` applies the file again on purpose. Otherwise the file's objects
// seed the state, as one batch (a reload from nothing), which the proxy
// then saves when saved_state is set.
func initialState(ctx context.Context, cfg *config.Config, client *proxy.Client, logger *slog.Logger) error {
	if cfg.SavedState != "" {
		if _, err := os.Stat(cfg.SavedState); err == nil {
			if err := apply(ctx, client, "saved-state", order.LoadState{Path: cfg.SavedState}); err != nil {
				return fmt.Errorf("saved state %s: %w", cfg.SavedState, err)
			}
			logger.Info("the saved state is the state: the configuration file's objects are not applied "+
				"(sluice reload applies them)", "saved_state", cfg.SavedState, "config", cfg.Path)
			return nil
		} else if !os.IsNotExist(err) {
			return fmt.Errorf("saved state %s: %w", cfg.SavedState, err)
		}
	}
	if err := apply(ctx, client, "config", order.Reload{Target: order.Requests(cfg.Orders)}); err != nil {
		return fmt.Errorf("%s: %w", cfg.Path, err)
	}
	return nil
}
