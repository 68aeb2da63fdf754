// Package daemon runs Sluice as a process: it starts the proxy from a
// configuration file, replays the saved state, serves the command socket,
// turns signals into soft and hard shutdowns, reloads and upgrades, and
// speaks to the service manager (systemd readiness notification and socket
// activation). It is the composition root of the `sluice start` command;
// the library itself is package proxy.
//
// A binary upgrade (sluice upgrade, SIGUSR2) is this package's: the old
// process starts the new binary and hands it every listening socket, the
// state and the command socket (upgrade.go, over package handover); the
// new process takes them instead of binding and of reading its
// configuration file's objects (takeover.go). See docs/upgrade.md.
package daemon

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/internal/systemd"
	"github.com/sluiceproxy/sluice/listener"
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
	// FileAdmin, when set, is the file's [admin] table, which cfg.Admin
	// replaces (sluice start --admin-address): a reload compares the file
	// with it, not with the flag.
	FileAdmin *config.Admin
	// AdminUI is served at / by the admin API ([admin] address): the
	// dashboard's files. Nil serves a placeholder page.
	AdminUI fs.FS
	// Binary is the executable an upgrade starts when its order names
	// none (SIGUSR2 included); default the running one's path
	// (os.Executable), taken at start: a new version installed at that
	// path is the one started.
	Binary string
}

// daemon is one Run: what the command handlers, the signals and an
// upgrade share.
type daemon struct {
	cfg    *config.Config
	log    *slog.Logger
	client *proxy.Client
	srv    *command.Server
	socks  *listener.Sockets
	binary string
	// fileAdmin is the [admin] table as the file had it at start (before
	// a flag replaced its address), to tell a reload that it changed.
	fileAdmin config.Admin

	// orders is held for reading by every order that goes to the proxy
	// and for writing by an upgrade while it hands the state over, so
	// that no order is applied to a state already handed over.
	orders sync.RWMutex
	// upgrading is held by the upgrade under way (at most one).
	upgrading sync.Mutex
	// successor is the pid of the process this one handed over to; 0
	// until then. Once set, orders are refused and the process drains.
	successor atomic.Int64

	wg sync.WaitGroup // goroutines of signals and upgrades

	// fleet follows etcd ([provider.etcd]); nil without it.
	fleet *follower
	// api serves [admin] address; nil without it. Set before the first
	// order is served.
	api *adminAPI
}

// Run serves until a shutdown order or a signal: the first SIGINT or
// SIGTERM stops softly (in-flight requests finish within the grace period),
// a second one stops at once. SIGHUP reloads the configuration file,
// SIGUSR1 reopens the access log, SIGUSR2 upgrades to the binary at the
// same path. It returns nil after a clean stop. The command socket file is
// removed on every return, except after an upgrade: the new process
// serves it then.
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
	usr2 := make(chan os.Signal, 1) // SIGUSR2: upgrade
	signal.Notify(usr2, syscall.SIGUSR2)
	defer signal.Stop(usr2)

	d := &daemon{cfg: cfg, log: logger, socks: &listener.Sockets{}, binary: o.Binary, fileAdmin: cfg.Admin}
	if o.FileAdmin != nil {
		d.fileAdmin = *o.FileAdmin
	}
	if d.binary == "" {
		exe, err := os.Executable()
		if err != nil {
			logger.Warn("upgrade: the running binary's path is unknown; sluice upgrade needs --binary", "error", err)
		}
		d.binary = exe
	}

	// Where the sockets and the state come from: the process this one
	// replaces, or this process's own binds (with systemd's sockets).
	up, err := d.takeOver()
	if err != nil {
		return err
	}
	if up != nil {
		defer up.close()
	}
	fail := func(err error) error {
		if up != nil {
			up.fail(err)
		}
		return err
	}
	defer d.srv.Close()

	pcfg := cfg.Proxy
	pcfg.Logger, pcfg.LogLevel, pcfg.ShutdownGrace = logger, level, cfg.ShutdownGrace
	pcfg.SavedState = cfg.SavedState // every order is on disk before its answer
	pcfg.Sockets = d.socks
	prof, err := startProfiler(os.Getenv(ProfileEnv), logger)
	if err != nil {
		return fail(err)
	}
	defer prof.close()
	obs, err := startObservers(cfg, logger, d.socks)
	if err != nil {
		return fail(err)
	}
	defer obs.close() // after the proxy: the last lines and counts go out
	pcfg.Metrics, pcfg.AccessLog, pcfg.Tracer = obs.metrics, obs.accessLog, obs.tracer
	client, end := proxy.NewChannel(64)
	d.client = client
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- proxy.Run(ctx, pcfg, end) }()
	stop := func(err error) error {
		cancel()
		<-stopped
		return fail(err)
	}

	if up != nil {
		err = up.applyState(ctx, d)
	} else {
		err = initialState(ctx, cfg, client, logger)
	}
	if err != nil {
		return stop(err)
	}
	// The admin API takes its socket before the unclaimed inherited ones
	// are closed: after an upgrade, the old process's is among them.
	api, err := d.startAdmin(obs, o.AdminUI)
	if err != nil {
		return stop(err)
	}
	defer api.close() // before the proxy stops: its streams end first
	d.api = api
	for _, s := range d.socks.Unclaimed() {
		logger.Warn("an inherited socket no listener uses is closed", "socket", s)
	}
	for _, s := range d.socks.Kept() {
		logger.Info("a socket of the service manager's waits for a listener on its address", "socket", s)
	}
	if up != nil {
		if err := up.confirm(d); err != nil {
			return stop(err)
		}
	}
	fw, err := d.startFollower(obs)
	if err != nil {
		return stop(err)
	}
	defer fw.stop() // before the proxy stops (the deferred cancel) and the observers close
	d.fleet = fw

	var inFlight atomic.Int64 // orders being answered
	defer d.wg.Wait()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = d.srv.Serve(func(ctx context.Context, o order.Order, progress command.Progress) order.Response {
			inFlight.Add(1)
			defer inFlight.Add(-1)
			return d.handle(ctx, command.RequestID(ctx), o, progress)
		})
	}()

	if up != nil {
		up.serving(d)
		logger.Info("sluice started: took over from the old process", "old_pid", up.offer.PID,
			"config", cfg.Path, "command_socket", d.srv.Path())
	} else {
		d.notify("READY=1\nSTATUS=serving")
		logger.Info("sluice started", "config", cfg.Path, "command_socket", cfg.CommandSocket)
	}
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
			d.srv.Close()
			if pid := d.successor.Load(); pid != 0 {
				logger.Info("sluice stopped: the new process serves", "new_pid", pid)
			} else {
				logger.Info("sluice stopped")
			}
			return err
		case <-reopen:
			obs.reopen()
		case sig := <-hup:
			logger.Info("reload requested", "signal", sig.String(), "config", cfg.Path)
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				d.reload(ctx)
			}()
		case sig := <-usr2:
			logger.Info("upgrade requested", "signal", sig.String(), "binary", d.binary)
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				_ = d.upgrade(ctx, order.Upgrade{}, func(string, *order.Content) {})
			}()
		case sig := <-sigs:
			signals++
			hard := signals > 1
			logger.Info("signal received, shutting down", "signal", sig.String(), "hard", hard)
			d.stopping()
			d.wg.Add(1)
			id := "signal-" + sig.String()
			go func() {
				defer d.wg.Done()
				_, _ = client.DoRequest(ctx, order.Request{ID: id, Order: order.Shutdown{Hard: hard}})
			}()
		}
	}
}

// notify tells the service manager state (see package systemd); a
// failure is logged.
func (d *daemon) notify(state string) {
	if err := systemd.Notify(state); err != nil {
		d.log.Warn("systemd notification failed", "state", state, "error", err)
	}
}

// stopping tells the service manager this process stops, unless it handed
// over: the new process is the service then.
func (d *daemon) stopping() {
	if d.successor.Load() == 0 {
		d.notify("STOPPING=1")
	}
}
