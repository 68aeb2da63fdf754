// Command sluice runs the Sluice reverse proxy and talks to a running one.
//
//	sluice start -c FILE          run the proxy in the foreground
//	sluice demo                   a self-contained demo
//	sluice config check -c FILE   validate a configuration file
//	sluice [-c FILE | -s SOCKET] [--json] ORDER...
//
// Exit codes: 0 success; 1 the proxy answered an error; 2 usage or input
// error; 3 the command socket cannot be reached.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes of SPEC §3.
const (
	exitOK          = 0
	exitRefused     = 1
	exitUsage       = 2
	exitUnreachable = 3
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := root()
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "sluice:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage // cobra's own errors: unknown command or flag, bad arguments
}

// globals are the flags every order shares.
type globals struct {
	config string
	socket string
	json   bool
}

func root() *cobra.Command {
	g := &globals{}
	cmd := &cobra.Command{
		Use:           "sluice",
		Short:         "Sluice, a reverse proxy reconfigured at runtime and never reloaded",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.PersistentFlags().StringVarP(&g.config, "config", "c", "", "configuration file (its command_socket is used)")
	cmd.PersistentFlags().StringVarP(&g.socket, "socket", "s", "", "command socket of a running proxy (default sluice.sock)")
	cmd.PersistentFlags().BoolVar(&g.json, "json", false, "print machine-readable JSON")
	cmd.Version = versionLine()
	cmd.Flags().Bool("version", false, "print the version of sluice and of Go, and exit")
	cmd.SetVersionTemplate("{{.Version}}\n")
	cmd.AddCommand(startCommand(g), demoCommand(), configCommand(g), versionCommand(g), hashPasswordCommand(), fleetCommand(g))
	cmd.AddCommand(orderCommands(g)...)
	cmd.InitDefaultCompletionCmd() // now, so that the loop below reaches it too
	strictGroups(cmd)
	return cmd
}

// strictGroups makes every command that only holds subcommands (below
// the root) refuse what is not one of them: an unknown command, or none,
// is a usage error (exit 2) rather than cobra's help with exit 0.
func strictGroups(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c == root || !c.HasSubCommands() || c.Runnable() {
			return
		}
		c.Args = cobra.NoArgs // `unknown command "x" for "sluice cluster"`
		c.RunE = func(c *cobra.Command, _ []string) error {
			var names []string
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return fmt.Errorf("%s needs a command: %s (see %s --help)", c.CommandPath(),
				strings.Join(names, ", "), c.CommandPath())
		}
	}
	walk(root)
}
