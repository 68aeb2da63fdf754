package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/daemon"
)

func startCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start -c FILE",
		Short: "Run the proxy in the foreground with the configuration FILE (logs to stderr)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.config == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("start needs -c FILE")}
			}
			cfg, err := config.Load(g.config)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if err := daemon.Run(cfg, daemon.Options{Stderr: os.Stderr}); err != nil {
				return &exitError{code: exitRefused, err: err}
			}
			return nil
		},
	}
}

func configCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with configuration files"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check -c FILE",
		Short: "Validate a configuration file: exit 0, or 2 with file:line:column and the reason",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.config == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("config check needs -c FILE")}
			}
			cfg, err := config.Load(g.config)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d orders)\n", cfg.Path, len(cfg.Orders))
			return nil
		},
	})
	return cmd
}
