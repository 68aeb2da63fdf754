package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/order"
)

// socketPath finds the command socket: -s, else the -c file's
// command_socket, else sluice.sock in the working directory. Of the -c
// file only that key is read (config.ReadCommandSocket): errors elsewhere
// in it do not keep a client from the proxy.
func (g *globals) socketPath() (string, error) {
	if g.socket != "" {
		return g.socket, nil
	}
	if g.config != "" {
		path, err := config.ReadCommandSocket(g.config)
		if err != nil {
			return "", &exitError{code: exitUsage, err: err}
		}
		return path, nil
	}
	return "sluice.sock", nil
}

// send delivers o to the running proxy and prints the answer: as JSON with
// --json, else with human (which may be nil for orders that answer nothing
// but ok). An error answer exits 1; an unreachable socket exits 3.
func (g *globals) send(cmd *cobra.Command, o order.Order, human func(io.Writer, *order.Content)) error {
	if err := o.Validate(); err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	path, err := g.socketPath()
	if err != nil {
		return err
	}
	c, err := command.Dial(path)
	if err != nil { // every dial failure wraps command.ErrUnreachable
		return &exitError{code: exitUnreachable, err: err}
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
	defer cancel()
	out := cmd.OutOrStdout()
	resp, err := c.Do(ctx, o, func(r order.Response) {
		if !g.json && r.Message != "" {
			fmt.Fprintln(os.Stderr, r.Message)
		}
	})
	if err != nil {
		return &exitError{code: exitUnreachable, err: err}
	}
	if g.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(resp)
	}
	if resp.Status == order.StatusError {
		return &exitError{code: exitRefused, err: errors.New(resp.Message)}
	}
	if !g.json {
		switch {
		case human != nil && resp.Content != nil:
			human(out, resp.Content)
		case resp.Message != "":
			fmt.Fprintln(out, resp.Message)
		default:
			fmt.Fprintln(out, "ok")
		}
	}
	return nil
}
