package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/order"
)

// upgradeCommand replaces the running daemon's process by a new one of a
// binary, without closing a listening socket (SPEC §8; docs/upgrade.md).
// A relative --binary is made absolute here: the daemon runs elsewhere.
func upgradeCommand(g *globals) *cobra.Command {
	var binary string
	var timeout time.Duration
	cmd := &cobra.Command{Use: "upgrade",
		Short: "Hand the listening sockets, the state and the command socket to a new process of --binary (default: the running binary's path); the old one drains and exits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if binary != "" {
				abs, err := filepath.Abs(binary)
				if err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("--binary: %w", err)}
				}
				binary = abs
			}
			return g.send(cmd, order.Upgrade{Binary: binary, Timeout: order.Duration(timeout)}, nil)
		}}
	cmd.Flags().StringVar(&binary, "binary", "", "the executable to start (default: the path the running one was started from)")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "how long the new process has to take over (default: the daemon's upgrade_timeout, 10s)")
	return cmd
}
