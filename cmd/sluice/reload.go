package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/order"
)

// reloadCommand makes the running proxy's configuration equal to the
// objects of the -c file, as one all-or-nothing batch (SPEC §8): the file
// is read whole here (its errors are usage errors, with file:line), and
// the proxy computes and applies the difference. --dry-run prints the
// batch without applying it.
func reloadCommand(g *globals) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{Use: "reload", Short: "Make the proxy's configuration equal to the -c file's (one batch, all or nothing)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.config == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("reload needs the configuration file: -c FILE")}
			}
			cfg, err := config.Load(g.config)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return g.send(cmd, order.Reload{Target: order.Requests(cfg.Orders), DryRun: dry}, func(w io.Writer, c *order.Content) {
				printBatch(w, c.Orders, dry)
			})
		}}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "print the orders the reload would apply, and apply nothing")
	return cmd
}

// printBatch writes a reload's batch, an order a line.
func printBatch(w io.Writer, orders []order.Request, dry bool) {
	verb := "applied"
	if dry {
		verb = "would apply"
	}
	switch len(orders) {
	case 0:
		fmt.Fprintln(w, "nothing to do: the configuration is the file's")
		return
	case 1:
		fmt.Fprintf(w, "%s 1 order:\n", verb)
	default:
		fmt.Fprintf(w, "%s %d orders:\n", verb, len(orders))
	}
	for _, r := range orders {
		fmt.Fprintf(w, "  %-22s %s\n", r.Order.Kind(), order.Object(r.Order))
	}
}
