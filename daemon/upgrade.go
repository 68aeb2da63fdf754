package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/internal/handover"
	"github.com/sluiceproxy/sluice/internal/systemd"
	"github.com/sluiceproxy/sluice/order"
)

// The old process's side of an upgrade (the sequence is in package
// handover's doc): start the new binary as `BINARY start -c CONFIG`, hand
// it the sockets, the state and the command socket, let it confirm, then
// stop accepting and drain (a soft shutdown). Until the new process says
// it serves, this one serves as always and no order is applied; when the
// new process fails or misses the deadline it is killed and this one goes
// on as if nothing happened.

// upgrade runs one upgrade and answers the order.
func (d *daemon) upgrade(ctx context.Context, o order.Upgrade, progress command.Progress) order.Response {
	if err := o.Validate(); err != nil {
		return errorResponse(err)
	}
	if !d.upgrading.TryLock() {
		resp := errorResponse(errors.New("an upgrade is under way already"))
		resp.Code = order.CodeConflict
		return resp
	}
	defer d.upgrading.Unlock()
	binary, timeout := o.Binary, o.Timeout.D()
	if binary == "" {
		binary = d.binary
	}
	if timeout == 0 {
		timeout = d.cfg.UpgradeTimeout
	}
	if binary == "" {
		return errorResponse(errors.New("binary: the running binary's path is unknown: name one (--binary)"))
	}
	d.log.Info("upgrade: starting the new process", "binary", binary, "timeout", timeout)
	d.notify(systemd.Reloading())
	pid, err := d.handOver(ctx, binary, timeout, progress)
	if err != nil {
		d.notify("READY=1")
		d.log.Error("upgrade failed: this process serves on", "binary", binary, "error", err)
		return errorResponse(fmt.Errorf("upgrade failed; the old process (pid %d) serves on: %w", os.Getpid(), err))
	}
	d.log.Info("upgrade: the new process serves; this one stops accepting and drains", "new_pid", pid)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		// The admin API's kept-alive clients reconnect, to the new process;
		// this order's answer is written first when it came that way.
		d.api.close()
		_, _ = d.client.DoRequest(context.Background(), order.Request{ID: "upgrade", Order: order.Shutdown{}})
	}()
	return order.Response{Status: order.StatusOK, Message: fmt.Sprintf(
		"upgraded: the new process (pid %d) serves; this one (pid %d) stops accepting, lets its connections finish and exits",
		pid, os.Getpid())}
}

func errorResponse(err error) order.Response {
	return order.Response{Status: order.StatusError, Message: err.Error(), Code: order.CodeOf(err)}
}

// handOver starts binary and hands over to it; it returns the new
// process's pid once that serves. The orders stay blocked meanwhile; on
// success they are refused from then on (d.successor).
func (d *daemon) handOver(ctx context.Context, binary string, timeout time.Duration, progress command.Progress) (int, error) {
	d.orders.Lock()
	defer d.orders.Unlock()
	if pid := d.successor.Load(); pid != 0 {
		return 0, fmt.Errorf("this process handed over to pid %d already", pid)
	}
	deadline := time.Now().Add(timeout)
	offer, socks, cmdFD, err := d.offer(ctx, deadline)
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, fd := range append(socks, cmdFD) {
			unix.Close(fd)
		}
	}()

	// The new process writes to a pipe this one reads until it serves:
	// its last words are the error when it fails.
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("starting %s: %w", binary, err)
	}
	tail := newTail(r, os.Stderr)
	cmd := exec.Command(binary, "start", "-c", d.cfg.Path)
	cmd.Stdout, cmd.Stderr = os.Stdout, w
	progress("starting "+binary, nil)
	conn, err := handover.Spawn(cmd)
	w.Close()
	if err != nil {
		tail.close()
		return 0, fmt.Errorf("starting %s: %w", binary, err)
	}
	defer conn.Close()
	pid := cmd.Process.Pid
	abort := func(step string, err error) (int, error) {
		return 0, d.abort(cmd, tail, step, err, timeout)
	}
	if err := conn.SendOffer(offer, socks, cmdFD, 2); err != nil {
		return abort("handing over", err)
	}
	if err := conn.Expect(handover.Ready, deadline); err != nil {
		return abort("taking over", err)
	}
	progress(fmt.Sprintf("the new process (pid %d) has the sockets and the state; it takes over", pid), nil)
	d.notify(fmt.Sprintf("MAINPID=%d", pid)) // the manager follows the new process from here
	if err := conn.Send(handover.Commit); err != nil {
		d.notify(fmt.Sprintf("MAINPID=%d", os.Getpid()))
		return abort("committing", err)
	}
	if err := conn.Expect(handover.Serving, deadline); err != nil {
		d.notify(fmt.Sprintf("MAINPID=%d", os.Getpid()))
		return abort("starting to serve", err)
	}
	d.srv.Detach()        // the path is the new process's; new clients reach it
	d.api.stopAccepting() // the admin socket's new connections are the new process's
	d.successor.Store(int64(pid))
	tail.wait(time.Second) // the new process writes to this one's stderr now
	tail.close()
	return pid, nil
}

// offer gathers what is handed over: the state with its keys and
// duplicates of every listening socket and of the command socket (the
// caller closes them).
func (d *daemon) offer(ctx context.Context, deadline time.Time) (handover.Offer, []int, int, error) {
	resp, err := d.client.DoRequest(ctx, order.Request{ID: "upgrade", Order: order.DumpState{WithKeys: true}})
	if err == nil && resp.Status == order.StatusError {
		err = errors.New(resp.Message)
	}
	if err != nil {
		return handover.Offer{}, nil, -1, fmt.Errorf("dumping the state: %w", err)
	}
	state, err := json.Marshal(resp.Content.State)
	if err != nil {
		return handover.Offer{}, nil, -1, fmt.Errorf("dumping the state: %w", err)
	}
	described, socks, err := d.socks.Dup()
	if err != nil {
		return handover.Offer{}, nil, -1, err
	}
	cmdFD, err := d.srv.Dup()
	if err != nil {
		for _, fd := range socks {
			unix.Close(fd)
		}
		return handover.Offer{}, nil, -1, fmt.Errorf("the command socket: %w", err)
	}
	return handover.Offer{PID: os.Getpid(), Deadline: deadline.UnixMilli(), State: state,
		Sockets: described, CommandSocket: d.srv.Path()}, socks, cmdFD, nil
}

// abort ends a failed upgrade: the new process is killed (at once after
// a timeout, else when it has not exited on its own within a second) and
// reaped, and the error says what failed, how the process ended and the
// last lines it wrote.
func (d *daemon) abort(cmd *exec.Cmd, tail *tail, step string, cause error, timeout time.Duration) error {
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	grace := time.Second
	if errors.Is(cause, handover.ErrTimeout) {
		grace = 0
	}
	var werr error
	killed := false
	select {
	case werr = <-waited:
	case <-time.After(grace):
		cmd.Process.Kill()
		killed = true
		werr = <-waited
	}
	tail.wait(time.Second)
	tail.close()
	var b strings.Builder
	var pe *handover.PeerError
	switch {
	case errors.Is(cause, handover.ErrTimeout):
		fmt.Fprintf(&b, "the new process (pid %d) did not confirm within %s (%s); killed", cmd.Process.Pid, timeout, step)
	case errors.As(cause, &pe):
		fmt.Fprintf(&b, "the new process (pid %d) failed: %s", cmd.Process.Pid, pe.Msg)
	case killed:
		fmt.Fprintf(&b, "%s: %v; the new process (pid %d) was killed", step, cause, cmd.Process.Pid)
	default:
		fmt.Fprintf(&b, "the new process (pid %d) stopped while %s", cmd.Process.Pid, step)
	}
	if !killed {
		if werr != nil {
			fmt.Fprintf(&b, " (%v)", werr)
		} else {
			b.WriteString(" (exit status 0)")
		}
	}
	if last := tail.String(); last != "" {
		fmt.Fprintf(&b, "; its last words on stderr:\n%s", last)
	}
	return errors.New(b.String())
}
