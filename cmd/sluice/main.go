// Command sluice runs the Sluice reverse proxy.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/demo"
)

func main() {
	if err := root().Execute(); err != nil {
		os.Exit(2)
	}
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "sluice",
		Short:         "Sluice, a reverse proxy reconfigured at runtime and never reloaded",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	cmd.AddCommand(demoCommand())
	return cmd
}

func demoCommand() *cobra.Command {
	var address string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a self-contained demo: the proxy plus two built-in origins on loopback",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			err := demo.Run(ctx, demo.Options{Address: address, Out: cmd.OutOrStdout(), Logger: logger})
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&address, "address", "127.0.0.1:8080", "address the demo proxy listens on")
	return cmd
}
