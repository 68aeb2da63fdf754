package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/state"
)

// fleetFlags say which etcd and prefix: the -c file's [provider.etcd],
// overridden by the flags.
type fleetFlags struct {
	endpoints      []string
	prefix         string
	cert, key, ca  string
	user, password string
	revision       int64
	timeout        time.Duration
}

// fleetCommand is `sluice fleet`: the fleet's configuration in etcd, and
// its instances (docs/fleet.md).
func fleetCommand(g *globals) *cobra.Command {
	f := &fleetFlags{}
	cmd := &cobra.Command{Use: "fleet", Short: "Write the fleet's configuration into etcd and list its instances ([provider.etcd])"}
	pf := cmd.PersistentFlags()
	pf.StringSliceVar(&f.endpoints, "endpoints", nil, "etcd client URLs (default: the -c file's [provider.etcd] endpoints)")
	pf.StringVar(&f.prefix, "prefix", "", "the fleet's key prefix (default: the -c file's, else /sluice/)")
	pf.StringVar(&f.cert, "cert", "", "client certificate for etcd (PEM)")
	pf.StringVar(&f.key, "key", "", "its private key (PEM)")
	pf.StringVar(&f.ca, "cacert", "", "CA of etcd's server certificate (PEM)")
	pf.StringVar(&f.user, "user", "", "etcd user, as USER:PASSWORD")
	pf.DurationVar(&f.timeout, "timeout", 10*time.Second, "how long to wait for etcd")
	var dry bool
	push := &cobra.Command{Use: "push", Short: "Make the fleet's configuration the -c file's objects: one transaction, refused if the fleet changed meanwhile",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.config == "" {
				return &exitError{code: exitUsage, err: errors.New("fleet push needs the configuration file: -c FILE")}
			}
			cfg, err := config.Load(g.config)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			s, _, err := state.New().ApplyAll(cfg.Orders)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", g.config, err)}
			}
			return f.do(cmd, g, func(ctx context.Context, cli *clientv3.Client, l fleet.Layout) error {
				kvs, err := fleet.Encode(l, s)
				if err != nil {
					return err
				}
				w, err := fleet.Replace(ctx, cli, l, kvs, f.revision)
				if err != nil {
					return err
				}
				if dry {
					return printWrite(ctx, cmd.OutOrStdout(), g, w, kvs, cli, l)
				}
				return f.commit(ctx, cmd, g, cli, l, w)
			})
		}}
	push.Flags().BoolVar(&dry, "dry-run", false, "print the keys the push would write and delete, and write nothing")
	set := &cobra.Command{Use: "set KIND ID [JSON]", Short: "Write one object (listener, cluster, frontend, backend CLUSTER/ID, certificate); JSON from the argument or stdin",
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := fleet.ParseKind(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			var value []byte
			if len(args) == 3 && args[2] != "-" {
				value = []byte(args[2])
			} else if value, err = io.ReadAll(cmd.InOrStdin()); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if !json.Valid(value) {
				return &exitError{code: exitUsage, err: errors.New("the value is not JSON")}
			}
			return f.do(cmd, g, func(ctx context.Context, cli *clientv3.Client, l fleet.Layout) error {
				return f.commit(ctx, cmd, g, cli, l, fleet.Write{Revision: f.revision,
					Put: map[string][]byte{l.Key(k, args[1]): value}})
			})
		}}
	del := &cobra.Command{Use: "delete KIND ID", Short: "Remove one object from the fleet's configuration",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := fleet.ParseKind(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return f.do(cmd, g, func(ctx context.Context, cli *clientv3.Client, l fleet.Layout) error {
				return f.commit(ctx, cmd, g, cli, l, fleet.Write{Revision: f.revision, Delete: []string{l.Key(k, args[1])}})
			})
		}}
	for _, c := range []*cobra.Command{push, set, del} {
		c.Flags().Int64Var(&f.revision, "revision", 0,
			"refuse the write if the fleet's configuration changed after this revision (default: the one read first)")
	}
	status := &cobra.Command{Use: "status", Short: "List the fleet's instances: revision served, health, how far behind",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.do(cmd, g, func(ctx context.Context, cli *clientv3.Client, l fleet.Layout) error {
				list, err := fleet.List(ctx, cli, l)
				if err != nil {
					return err
				}
				return printInstances(cmd.OutOrStdout(), g, list)
			})
		}}
	cmd.AddCommand(push, set, del, status)
	return cmd
}

// do connects to etcd as the flags and the -c file say and runs fn.
func (f *fleetFlags) do(cmd *cobra.Command, g *globals, fn func(context.Context, *clientv3.Client, fleet.Layout) error) error {
	cc := fleet.ClientConfig{}
	if g.config != "" {
		cfg, err := config.Load(g.config)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		if cfg.Etcd != nil {
			cc = *cfg.Etcd
		}
	}
	if len(f.endpoints) > 0 {
		cc.Endpoints = f.endpoints
	}
	for _, o := range []struct {
		dst *string
		v   string
	}{{&cc.Prefix, f.prefix}, {&cc.CertFile, f.cert}, {&cc.KeyFile, f.key}, {&cc.CAFile, f.ca}} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
	if f.user != "" {
		u, p, ok := strings.Cut(f.user, ":")
		if !ok {
			return &exitError{code: exitUsage, err: errors.New("--user is USER:PASSWORD")}
		}
		cc.Username, cc.Password = u, p
	}
	if len(cc.Endpoints) == 0 {
		return &exitError{code: exitUsage, err: errors.New("which etcd? -c FILE with [provider.etcd], or --endpoints")}
	}
	cli, err := fleet.Dial(cc)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	err = fn(ctx, cli, fleet.NewLayout(cc.Prefix))
	var ee *exitError
	switch {
	case err == nil || errors.As(err, &ee):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if cause := cc.Diagnose(dctx); cause != nil {
			err = cause
		}
		return &exitError{code: exitUnreachable, err: fmt.Errorf("etcd %s did not answer within %s: %w",
			strings.Join(cc.Endpoints, ","), f.timeout, err)}
	}
	return &exitError{code: exitRefused, err: err}
}

// commit writes w and prints what it did.
func (f *fleetFlags) commit(ctx context.Context, cmd *cobra.Command, g *globals, cli *clientv3.Client, l fleet.Layout, w fleet.Write) error {
	res, err := fleet.Commit(ctx, cli, l, w)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if g.json {
		return json.NewEncoder(out).Encode(res)
	}
	if res.Unchanged {
		fmt.Fprintf(out, "nothing to do: etcd holds it already (revision %d)\n", res.Revision)
		return nil
	}
	fmt.Fprintf(out, "written at revision %d: %d keys put, %d deleted (based on revision %d)\n",
		res.Revision, res.Puts, res.Deletes, res.BasedOn)
	return nil
}

// printWrite prints a dry run's keys.
func printWrite(ctx context.Context, out io.Writer, g *globals, w fleet.Write, kvs map[string][]byte, cli *clientv3.Client, l fleet.Layout) error {
	cur, err := cli.Get(ctx, l.State(), clientv3.WithPrefix())
	if err != nil {
		return err
	}
	old := map[string]string{}
	for _, kv := range cur.Kvs {
		old[string(kv.Key)] = string(kv.Value)
	}
	var puts []string
	for k, v := range kvs {
		if old[k] != string(v) {
			puts = append(puts, k)
		}
	}
	if g.json {
		return json.NewEncoder(out).Encode(map[string]any{"revision": w.Revision, "put": puts, "delete": w.Delete})
	}
	fmt.Fprintf(out, "would write %d keys and delete %d (based on revision %d)\n", len(puts), len(w.Delete), w.Revision)
	slices.Sort(puts)
	for _, k := range puts {
		fmt.Fprintln(out, "  put    ", k)
	}
	for _, k := range w.Delete {
		fmt.Fprintln(out, "  delete ", k)
	}
	return nil
}

// printInstances prints sluice fleet status.
func printInstances(out io.Writer, g *globals, l fleet.Listing) error {
	if g.json {
		type row struct {
			fleet.Instance
			Behind int64 `json:"behind"`
		}
		rows := []row{}
		for _, in := range l.Instances {
			rows = append(rows, row{in, l.Behind(in)})
		}
		return json.NewEncoder(out).Encode(map[string]any{"latest": l.Latest, "instances": rows})
	}
	fmt.Fprintf(out, "latest change at revision %d; %d instances\n", l.Latest, len(l.Instances))
	var rows [][]string
	for _, in := range l.Instances {
		rows = append(rows, []string{in.ID, in.Version, fmt.Sprint(in.Revision), fmt.Sprint(l.Behind(in)), in.Health, orDash(in.Error)})
	}
	table(out, "ID\tVERSION\tREVISION\tBEHIND\tHEALTH\tERROR", rows)
	return nil
}
