package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

// eventsCommand streams the proxy's events until interrupted: a line per
// event, or with --json one JSON object per line.
func eventsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "events",
		Short: "Stream backend up/down, drained backends and cluster availability until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := g.socketPath()
			if err != nil {
				return err
			}
			c, err := command.Dial(path)
			if err != nil {
				return &exitError{code: exitUnreachable, err: err}
			}
			defer c.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			resp, err := c.Do(ctx, order.SubscribeEvents{}, func(r order.Response) {
				switch {
				case r.Content != nil && r.Content.Event != nil && g.json:
					_ = enc.Encode(r.Content.Event)
				case r.Content != nil && r.Content.Event != nil:
					printEvent(out, r.Content.Event)
				case r.Message != "": // stderr: not part of the --json stream
					fmt.Fprintln(cmd.ErrOrStderr(), r.Message)
				}
			})
			switch {
			case ctx.Err() != nil:
				return nil // interrupted: the normal end
			case err != nil:
				return &exitError{code: exitUnreachable, err: err}
			case resp.Status == order.StatusError:
				return &exitError{code: exitRefused, err: errors.New(resp.Message)}
			}
			if !g.json {
				fmt.Fprintln(os.Stderr, resp.Message)
			}
			return nil
		},
	}
}

// printEvent writes one event as a line: time, kind, cluster[/backend]
// (or the certificate's fingerprint, after the host name of acme_*
// events), address and reason when there are.
func printEvent(w io.Writer, e *order.Event) {
	what := e.ClusterID
	if e.BackendID != "" {
		what += "/" + e.BackendID
	}
	if e.Fingerprint != "" {
		what = "certificate " + e.Fingerprint
	}
	if e.Hostname != "" { // acme_*
		what = strings.TrimSpace("host " + e.Hostname + " " + what)
	}
	line := e.Time + "  " + string(e.Kind) + "  " + what
	if e.Address != "" {
		line += "  " + e.Address
	}
	if e.Reason != "" {
		line += "  (" + e.Reason + ")"
	}
	fmt.Fprintln(w, line)
}
