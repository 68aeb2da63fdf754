package main

import (
	"fmt"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/top"
)

const topLong = `A live view of a running proxy in the terminal, polled over the command
socket every --interval: clusters (or every backend, or one cluster's
backends) with requests per second, errors per second (5xx answers; for a
backend, its 5xx and failed connects) and their share, the 99th percentile
time over the last --window (a cluster's whole request; a backend's time to
first byte) and the requests in flight. Rates are counter increases between
two polls, so they show from the second poll on ("-" before).

Keys:
  r e p c n     sort by req/s, err/s, p99, active, name (again: reverse)
  /             type a filter (a part of the name); enter keeps it, esc clears it
  up/down, j/k  select a row
  enter         drill into the selected cluster: its backends, address, health
                (a backup's ends with *), weight
  esc           back to the clusters (or clear the filter)
  b, tab        every backend of every cluster / back to the clusters
  q, ctrl+c     quit

When the socket goes away (the proxy stopped or restarts), the screen says
DISCONNECTED and keeps the last figures, and top polls again every
--interval until a proxy answers. Works in an 80x24 terminal.`

// topCommand runs the terminal view (package top).
func topCommand(g *globals) *cobra.Command {
	var o top.Options
	var once bool
	var width, height int
	cmd := &cobra.Command{
		Use:   "top",
		Short: "Watch clusters and backends live: req/s, errors, p99, requests in flight",
		Long:  topLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Interval < 100*time.Millisecond || o.Interval > time.Minute {
				return &exitError{code: exitUsage, err: fmt.Errorf("--interval %s is outside 100ms..1m", o.Interval)}
			}
			if !cmd.Flags().Changed("window") { // 10s, or what 60 intervals cover
				o.Window = min(o.Window, top.MaxWindowPolls*o.Interval)
			}
			if o.Window < o.Interval || o.Window > top.MaxWindowPolls*o.Interval {
				return &exitError{code: exitUsage, err: fmt.Errorf("--window %s is outside --interval..%d×--interval", o.Window, top.MaxWindowPolls)}
			}
			if width < 40 || width > 1000 || height < 6 || height > 1000 {
				return &exitError{code: exitUsage, err: fmt.Errorf("--width %d --height %d: at least 40×6, at most 1000×1000", width, height)}
			}
			path, err := g.socketPath()
			if err != nil {
				return err
			}
			src := top.NewSocket(path, max(2*time.Second, o.Interval))
			defer src.Close()
			if once {
				screen, err := top.Snapshot(src, o, width, height, time.Sleep)
				if err != nil {
					return &exitError{code: exitUnreachable, err: err}
				}
				fmt.Fprintln(cmd.OutOrStdout(), screen)
				return nil
			}
			opts := []tea.ProgramOption{tea.WithContext(cmd.Context()),
				tea.WithInput(cmd.InOrStdin()), tea.WithOutput(cmd.OutOrStdout())}
			if !isTerminal(cmd.OutOrStdout()) { // no size to ask it: --width×--height
				opts = append(opts, tea.WithWindowSize(width, height))
			}
			_, err = tea.NewProgram(top.New(src, o), opts...).Run()
			return err
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.Interval, "interval", time.Second, "time between two polls (100ms..1m)")
	f.DurationVar(&o.Window, "window", 10*time.Second, "the p99 covers this last stretch of time (at most 60 intervals; by default 10s, or 60 intervals if shorter)")
	f.StringVar(&o.Cluster, "cluster", "", "start drilled into this cluster")
	f.BoolVar(&once, "once", false, "print one screen as plain text (two polls, --interval apart) and exit")
	f.IntVar(&width, "width", 80, "the screen's width with --once, or when the output is not a terminal")
	f.IntVar(&height, "height", 24, "the screen's height with --once, or when the output is not a terminal")
	return cmd
}

// isTerminal tells whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
