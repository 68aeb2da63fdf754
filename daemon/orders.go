package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/internal/systemd"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// The orders: those of the command socket (handle), the reload of SIGHUP,
// and the state the proxy starts with.

// handle serves one order of the command socket or of the admin API (the
// one dispatcher of both), with the id its client gave.
func (d *daemon) handle(ctx context.Context, id string, o order.Order, progress command.Progress) order.Response {
	switch o := o.(type) { // long orders say they are under way
	case order.SubscribeEvents:
		return streamEvents(ctx, d.client, progress)
	case order.Upgrade:
		return d.upgrade(ctx, o, progress)
	case order.LoadState:
		progress("loading state from "+o.Path, nil)
	case order.Shutdown:
		if !o.Hard {
			progress("stopping: no new connections; requests in flight finish", nil)
		}
	}
	// No order applies while an upgrade hands the state over, nor after.
	d.orders.RLock()
	defer d.orders.RUnlock()
	if pid := d.successor.Load(); pid != 0 {
		return order.Response{Status: order.StatusError, Code: order.CodeUnavailable, Message: fmt.Sprintf(
			"this process handed over to the new one (pid %d), which serves the command socket: send the order again", pid)}
	}
	switch o := o.(type) { // what the service manager hears
	case order.Shutdown:
		d.stopping()
	case order.Reload:
		if d.fleet != nil {
			return order.Response{Status: order.StatusError, Message: "fleet mode: the configuration is etcd's " +
				"([provider.etcd]); change it with sluice fleet push or sluice fleet set"}
		}
		if !o.DryRun {
			d.notify(systemd.Reloading())
			defer d.notify("READY=1")
		}
	}
	// The client's id goes on, so that the proxy's log names it.
	resp, err := d.client.DoRequest(ctx, order.Request{ID: id, Order: o})
	if err != nil {
		return order.Response{Status: order.StatusError, Code: order.CodeUnavailable, Message: "proxy unavailable: " + err.Error()}
	}
	if _, ok := o.(order.Status); ok {
		d.fleet.status(&resp)
	}
	return resp
}

// reload makes the running proxy follow the configuration file again
// (SIGHUP): the file's objects become the configuration, as one batch
// (sluice reload does the same through the command socket). A file with
// errors changes nothing; they are logged.
func (d *daemon) reload(ctx context.Context) {
	path := d.cfg.Path
	cfg, err := config.Load(path)
	if err != nil {
		d.log.Error("reload failed: the configuration file has errors; nothing changed", "config", path, "error", err)
		return
	}
	if cfg.Admin != d.fileAdmin {
		d.log.Warn("reload: [admin] changed in the file; it is read at start only, so the admin API goes on as it was "+
			"(restart or upgrade to apply it)", "config", path)
	}
	d.orders.RLock()
	defer d.orders.RUnlock()
	if d.successor.Load() != 0 {
		d.log.Warn("reload ignored: this process handed over to a new one", "new_pid", d.successor.Load())
		return
	}
	if d.fleet != nil {
		d.log.Warn("reload ignored: in fleet mode the configuration is etcd's ([provider.etcd]); use sluice fleet push")
		return
	}
	d.notify(systemd.Reloading())
	defer d.notify("READY=1")
	resp, err := d.client.DoRequest(ctx, order.Request{ID: "signal-hup", Order: order.Reload{Target: order.Requests(cfg.Orders)}})
	switch {
	case err != nil:
		d.log.Error("reload failed: the proxy is unavailable", "error", err)
	case resp.Status == order.StatusError:
		d.log.Error("reload failed; nothing changed", "config", path, "error", resp.Message)
	default:
		d.log.Info("reload applied", "config", path, "orders", len(resp.Content.Orders))
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
