package main

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/proxy"
)

// versionLine is what `sluice version` and `sluice --version` print: the
// proxy's version, the Go version it was built with, and the platform.
func versionLine() string {
	return fmt.Sprintf("sluice %s (%s %s/%s)", proxy.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of sluice and of the Go it was built with (--json: an object)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if !g.json {
				fmt.Fprintln(out, versionLine())
				return nil
			}
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Version  string `json:"version"`
				Go       string `json:"go"`
				Platform string `json:"platform"`
			}{proxy.Version, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH})
		},
	}
}
