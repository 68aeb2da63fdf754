package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/daemon"
	"github.com/sluiceproxy/sluice/dashboard"
	"github.com/sluiceproxy/sluice/proxy"
	"github.com/sluiceproxy/sluice/state"
)

func startCommand(g *globals) *cobra.Command {
	var adminAddress string
	cmd := &cobra.Command{
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
			opts := daemon.Options{Stderr: os.Stderr, AdminUI: dashboard.FS()}
			if cmd.Flags().Changed("admin-address") {
				file := cfg.Admin
				opts.FileAdmin = &file
				cfg.Admin.Address = adminAddress // checked with the tokens when the daemon starts
			}
			if err := daemon.Run(cfg, opts); err != nil {
				return &exitError{code: exitRefused, err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&adminAddress, "admin-address", "",
		"serve the admin HTTP API on HOST:PORT, instead of the file's [admin] address (\"\" turns it off); off loopback the file must give a token")
	return cmd
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
			if err := checkStart(cmd, cfg); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d orders)\n", cfg.Path, len(cfg.Orders))
			return nil
		},
	})
	return cmd
}

// checkStart checks what `sluice start` would apply, as the proxy checks
// it before anything changes (references, conflicts, answer templates,
// certificates; not the binding of sockets or the lookup of host names):
// the file's objects as one batch, and, when saved_state exists, that
// file, which start applies instead (said on stderr as a warning).
func checkStart(cmd *cobra.Command, cfg *config.Config) error {
	if _, _, err := state.New().ApplyAll(cfg.Orders); err != nil {
		return fmt.Errorf("%s: the objects do not hold together: %w", cfg.Path, err)
	}
	if cfg.SavedState == "" {
		return nil
	}
	if _, err := os.Stat(cfg.SavedState); err != nil {
		return nil // start seeds the state from this file
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "warning: the saved state %s exists: at start it is the state, and this file's "+
		"listeners, clusters, frontends, backends and certificates are not applied (sluice reload applies them)\n", cfg.SavedState)
	st, err := proxy.ReadState(cfg.SavedState)
	if err == nil {
		_, _, err = state.New().ApplyAll(st.Orders())
	}
	if err != nil {
		return fmt.Errorf("the saved state %s cannot be loaded: %w", cfg.SavedState, err)
	}
	return nil
}
