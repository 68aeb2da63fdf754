package daemon

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/internal/handover"
	"github.com/sluiceproxy/sluice/internal/systemd"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// The new process's side of an upgrade. It takes the listening sockets
// and the command socket it is handed instead of binding, applies the
// state it is handed instead of its configuration file's objects or its
// saved state (the file gives the process settings only: log level,
// timeouts, metrics, access log), and accepts nothing before the old
// process commits.

// takeover is an upgrade under way, from the new process's side.
type takeover struct {
	conn     *handover.Conn
	offer    handover.Offer
	state    *order.State
	stderr   *os.File // the old process's stderr, ours once we serve
	deadline time.Time
}

// takeOver sets d.srv and d.socks up: from the old process when this one
// was started by an upgrade (the takeover is returned), else from this
// process's own binds and the service manager's sockets (nil returned).
func (d *daemon) takeOver() (*takeover, error) {
	conn, err := handover.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	if conn == nil {
		return nil, d.bindOwn()
	}
	rec, err := conn.ReceiveOffer(time.Now().Add(d.cfg.UpgradeTimeout))
	if err != nil {
		conn.Fail(err)
		conn.Close()
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	t := &takeover{conn: conn, offer: rec.Offer, stderr: rec.Stderr, deadline: time.UnixMilli(rec.Deadline)}
	fail := func(err error) (*takeover, error) {
		rec.Close()
		err = fmt.Errorf("upgrade: %w", err)
		t.fail(err)
		t.close()
		return nil, err
	}
	if t.state, err = proxy.DecodeState(rec.State, "the state handed over"); err != nil {
		return fail(err)
	}
	d.socks.Hold() // nothing is accepted before the old process commits
	for i, f := range rec.Sockets {
		rec.Sockets[i] = nil // Inherit owns it, even on error
		if err := d.socks.Inherit(rec.Offer.Sockets[i], f); err != nil {
			return fail(err)
		}
	}
	cmd := rec.Command
	rec.Command = nil
	if d.srv, err = command.Inherit(rec.CommandSocket, cmd); err != nil {
		return fail(err)
	}
	if rec.CommandSocket != d.cfg.CommandSocket {
		d.log.Warn("the configuration file names another command socket: the one handed over is kept "+
			"(a restart moves it)", "command_socket", rec.CommandSocket, "in_file", d.cfg.CommandSocket)
	}
	d.log.Info("upgrade: took the sockets of the old process", "old_pid", rec.PID, "sockets", len(rec.Offer.Sockets))
	return t, nil
}

// bindOwn opens the command socket and takes the sockets the service
// manager passed (socket activation), if any.
func (d *daemon) bindOwn() error {
	socks, err := systemd.Listeners()
	if err != nil {
		return err
	}
	for i, s := range socks {
		if err := d.socks.Inherit(listener.Socket{Name: s.Name, Kept: true}, s.File); err != nil {
			for _, rest := range socks[i+1:] {
				rest.File.Close()
			}
			return fmt.Errorf("socket activation: %w", err)
		}
	}
	if len(socks) > 0 {
		d.log.Info("socket activation: listeners take the service manager's sockets by address", "sockets", len(socks))
	}
	srv, err := command.Listen(d.cfg.CommandSocket)
	if err != nil {
		return err
	}
	d.srv = srv
	return nil
}

// applyState makes the state handed over the proxy's, as one batch.
func (t *takeover) applyState(ctx context.Context, d *daemon) error {
	if err := apply(ctx, d.client, "upgrade", order.Reload{Target: order.Requests(t.state.Orders())}); err != nil {
		return fmt.Errorf("upgrade: applying the state handed over: %w", err)
	}
	return nil
}

// confirm says Ready, waits for Commit, and then accepts: the sockets are
// released and the old process's stderr becomes this one's (until then
// this process writes to a pipe the old one reads, for the error it
// reports if this one fails).
func (t *takeover) confirm(d *daemon) error {
	if err := t.conn.Send(handover.Ready); err != nil {
		return fmt.Errorf("upgrade: %w", err)
	}
	if err := t.conn.Expect(handover.Commit, t.deadline); err != nil {
		return fmt.Errorf("upgrade: the old process did not commit: %w", err)
	}
	d.socks.Release()
	if err := dupOnto(t.stderr, 2); err != nil {
		d.log.Warn("upgrade: logs go on to the old process's pipe", "error", err)
	}
	t.stderr.Close()
	t.stderr = nil
	return nil
}

// serving tells the old process and the service manager that this
// process serves: the manager follows this pid from now on.
func (t *takeover) serving(d *daemon) {
	if err := t.conn.Send(handover.Serving); err != nil {
		d.log.Warn("upgrade: the old process did not hear that this one serves", "error", err)
	}
	d.notify(fmt.Sprintf("MAINPID=%d\nREADY=1\nSTATUS=serving (took over from pid %d)", os.Getpid(), t.offer.PID))
	t.close()
}

// fail tells the old process why this one stops.
func (t *takeover) fail(err error) { _ = t.conn.Fail(err) }

// close closes the handover socket and what was not used.
func (t *takeover) close() {
	t.conn.Close()
	if t.stderr != nil {
		t.stderr.Close()
		t.stderr = nil
	}
}

// dupOnto makes descriptor fd a duplicate of f's, without the blocking
// mode change os.File.Fd makes.
func dupOnto(f *os.File, fd int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var derr error
	if err := rc.Control(func(from uintptr) { derr = unix.Dup2(int(from), fd) }); err != nil {
		return err
	}
	return derr
}
