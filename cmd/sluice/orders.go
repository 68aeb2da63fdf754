package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/order"
)

// orderCommands returns the commands that talk to a running proxy.
func orderCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{
		simple(g, "status", "Show the proxy's status", order.Status{}, printStatus),
		stateCommand(g),
		reloadCommand(g),
		listenerCommand(g),
		clusterCommand(g),
		backendCommand(g),
		frontendCommand(g),
		certificateCommand(g),
		eventsCommand(g),
		metricsCommand(g),
		topCommand(g),
		loggingCommand(g),
		shutdownCommand(g),
		upgradeCommand(g),
	}
}

// simple is a command without flags that sends one fixed order.
func simple(g *globals, use, short string, o order.Order, human func(io.Writer, *order.Content)) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.send(cmd, o, human) },
	}
}

// group is a command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs}
	cmd.AddCommand(subs...)
	return cmd
}

func required(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		_ = cmd.MarkFlagRequired(n)
	}
}

func stateCommand(g *globals) *cobra.Command {
	file := func(use, short string, mk func(path string) order.Order) *cobra.Command {
		var path string
		cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				abs, err := filepath.Abs(path) // the proxy may run in another folder
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				return g.send(cmd, mk(abs), nil)
			}}
		cmd.Flags().StringVarP(&path, "file", "f", "", "state file")
		required(cmd, "file")
		return cmd
	}
	return group("state", "Save, load or dump the proxy's configuration",
		file("save", "Save the configuration to a file, private keys included (mode 0600)",
			func(p string) order.Order { return order.SaveState{Path: p} }),
		file("load", "Load a saved configuration on top of the current one, all or nothing",
			func(p string) order.Order { return order.LoadState{Path: p} }),
		dumpCommand(g),
	)
}

// withKeys adds --with-keys to cmd: print private keys, which are left out
// otherwise.
func withKeys(cmd *cobra.Command, b *bool) {
	cmd.Flags().BoolVar(b, "with-keys", false, "print private keys too (left out otherwise)")
}

func dumpCommand(g *globals) *cobra.Command {
	var o order.DumpState
	cmd := &cobra.Command{Use: "dump", Short: "Print the whole configuration as JSON (private keys left out: --with-keys)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.send(cmd, o, func(w io.Writer, c *order.Content) {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				_ = enc.Encode(c.State)
			})
		}}
	withKeys(cmd, &o.WithKeys)
	return cmd
}

func listenerCommand(g *globals) *cobra.Command {
	byAddress := func(use, short string, mk func(string) order.Order) *cobra.Command {
		var addr string
		cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return g.send(cmd, mk(addr), nil) }}
		cmd.Flags().StringVar(&addr, "address", "", "listener address, as the listener was added with")
		required(cmd, "address")
		return cmd
	}
	add := func(p order.Protocol) *cobra.Command {
		l := order.Listener{Protocol: p}
		var answers func() (map[string]string, bool, error)
		var listenerRoute func(*order.UpdateListener)
		var inactive bool
		var front, back, connect, request, tunnel, keepAlive string
		var listenerHSTS func() *order.HSTS
		var listenerTLS func() (order.UpdateListenerTLS, error)
		var defCert, defKey string
		var defChain []string
		cmd := &cobra.Command{Use: "add", Short: "Add a " + string(p) + " listener (active unless --inactive)", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				l.Active = !inactive
				if listenerHSTS != nil {
					l.HSTS = listenerHSTS()
				}
				if listenerTLS != nil {
					u, err := listenerTLS()
					if err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					applyListenerTLS(&l, u)
				}
				if defCert != "" || defKey != "" {
					if defCert == "" || defKey == "" {
						return &exitError{code: exitUsage, err: fmt.Errorf("--certificate and --key go together")}
					}
					c, err := readCert(defCert, defKey, defChain, nil)
					if err != nil {
						return err
					}
					l.Certificate = &c
				}
				for _, d := range []struct {
					s   string
					dst *order.Duration
				}{{front, &l.FrontTimeout}, {back, &l.BackTimeout}, {connect, &l.ConnectTimeout}, {request, &l.RequestTimeout}, {tunnel, &l.TunnelTimeout}, {keepAlive, &l.KeepAliveTimeout}} {
					if d.s == "" {
						continue
					}
					if err := d.dst.UnmarshalText([]byte(d.s)); err != nil {
						return &exitError{code: exitUsage, err: err}
					}
				}
				if answers != nil {
					m, _, err := answers()
					if err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					l.Answers = m
				}
				if listenerRoute != nil {
					var u order.UpdateListener
					listenerRoute(&u)
					l = u.Patch(l)
				}
				return g.send(cmd, order.AddListener{Listener: l}, nil)
			}}
		f := cmd.Flags()
		f.StringVar(&l.Address, "address", "", "address to listen on: IP:PORT, HOST:PORT (its first address) or :PORT (every interface)")
		f.BoolVar(&inactive, "inactive", false, "add without accepting connections yet")
		f.BoolVar(&l.ExpectProxy, "expect-proxy", false, "require a PROXY protocol header")
		f.StringVar(&front, "front-timeout", "", "idle client connection timeout (e.g. 60s)")
		f.StringVar(&back, "back-timeout", "", "silent backend timeout (e.g. 30s)")
		f.StringVar(&connect, "connect-timeout", "", "backend connect timeout (e.g. 3s)")
		f.StringVar(&request, "request-timeout", "", "time to receive request headers, and a PROXY protocol header (e.g. 10s)")
		if p != order.TCP {
			f.StringVar(&tunnel, "tunnel-timeout", "", "idle timeout of upgraded (WebSocket) connections (default 1h)")
			f.StringVar(&keepAlive, "keepalive-timeout", "", "how long a keep-alive connection may wait for its next request, at most the front timeout (default 10s)")
		}
		f.IntVar(&l.MaxConnectionsPerIP, "max-connections-per-ip", 0, "connections at once from one client IP (the PROXY header's source with --expect-proxy); past it closed (default no cap)")
		if p != order.TCP {
			f.StringVar(&l.StickyName, "sticky-name", "", "sticky session cookie name (default SLUICEBALANCEID)")
			f.Int64Var(&l.MaxBodyBytes, "max-body-bytes", 0, "largest request body in bytes; beyond it 413 (default no limit)")
			f.IntVar(&l.MaxHeadBytes, "max-head-bytes", 0, "largest request head in bytes (default 32768)")
			f.IntVar(&l.MaxHeaderFields, "max-header-fields", 0, "most request header fields (default 100)")
			answers = answerFlags(cmd)
			listenerRoute = listenerRouteFlags(cmd)
		}
		if p == order.HTTPS {
			f.StringSliceVar(&l.TLSVersions, "tls-versions", nil, "TLS versions: TLS1.2,TLS1.3")
			listenerHSTS = hstsFlags(cmd)
			listenerTLS = listenerTLSFlags(cmd)
			f.StringVar(&defCert, "certificate", "", "default certificate (PEM file), served without SNI or for unknown names")
			f.StringVar(&defKey, "key", "", "private key (PEM file) of the default certificate")
			f.StringSliceVar(&defChain, "chain", nil, "chain file(s) of the default certificate")
		}
		required(cmd, "address")
		return cmd
	}
	proto := func(p order.Protocol) *cobra.Command {
		return group(string(p), "Add a "+string(p)+" listener", add(p))
	}
	return group("listener", "List, add, update, remove, activate and deactivate listeners",
		listListeners(g),
		proto(order.HTTP), proto(order.HTTPS), proto(order.TCP),
		listenerUpdateCommand(g),
		byAddress("remove", "Remove a listener; in-flight exchanges finish",
			func(a string) order.Order { return order.RemoveListener{Address: a} }),
		byAddress("activate", "Start accepting on a listener",
			func(a string) order.Order { return order.ActivateListener{Address: a} }),
		byAddress("deactivate", "Stop accepting on a listener; in-flight exchanges finish",
			func(a string) order.Order { return order.DeactivateListener{Address: a} }),
	)
}

func listListeners(g *globals) *cobra.Command {
	var o order.ListListeners
	cmd := &cobra.Command{Use: "list", Short: "List the listeners (--json: private keys left out unless --with-keys)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.send(cmd, o, printListeners) }}
	withKeys(cmd, &o.WithKeys)
	return cmd
}

func clusterCommand(g *globals) *cobra.Command {
	var c order.Cluster
	var proto, lb string
	var hc order.HealthCheck
	var hcInterval, hcTimeout time.Duration
	var clusterHSTS func() *order.HSTS
	var backendTLS func() (*order.BackendTLS, error)
	var answers func() (map[string]string, bool, error)
	var policy func(*order.Cluster) error
	var clusterRoute func(*order.UpdateCluster) error
	add := &cobra.Command{Use: "add", Short: "Add a cluster (an existing one with other settings is refused: use cluster update)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.Protocol, c.LoadBalancing = order.Protocol(proto), order.LoadBalancing(lb)
			if err := policy(&c); err != nil {
				return err
			}
			m, _, err := answers()
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			c.Answers = m
			c.HSTS = clusterHSTS()
			var u order.UpdateCluster
			if err := clusterRoute(&u); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			c = u.Patch(c)
			if c.TLS, err = backendTLS(); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			c.HealthCheck = nil
			if cmd.Flags().Changed("health-check") || anyChanged(cmd, "health-check-path", "health-check-host",
				"health-check-status", "health-check-interval", "health-check-timeout", "health-check-rise", "health-check-fall") {
				hc.Interval, hc.Timeout = order.Duration(hcInterval), order.Duration(hcTimeout)
				hc.FailOpen, _ = cmd.Flags().GetBool("health-check-fail-open")
				c.HealthCheck = &hc
			}
			return g.send(cmd, order.AddCluster{Cluster: c}, nil)
		}}
	policy = clusterPolicyFlags(add)
	clusterHSTS = hstsFlags(add)
	answers = answerFlags(add)
	clusterRoute = clusterRouteFlags(add)
	backendTLS = backendTLSFlags(add)
	f := add.Flags()
	f.StringVar(&c.ID, "id", "", "cluster id")
	f.StringVar(&proto, "protocol", "http", "http or tcp")
	f.StringVar(&lb, "load-balancing", "round_robin", "round_robin, random, least_loaded, power_of_two or maglev")
	f.BoolVar(&c.StickySession, "sticky-session", false, "pin clients to a backend with a cookie")
	f.BoolVar(&c.HTTPSRedirect, "https-redirect", false, "answer 301 to https on http listeners")
	f.BoolVar(&c.SendProxy, "send-proxy", false, "send a PROXY protocol v2 header to backends")
	f.StringVar(&hc.Type, "health-check", "", "probe every backend: http (GET of --health-check-path) or tcp (a connect)")
	f.StringVar(&hc.Path, "health-check-path", "", `http check: request path (default "/")`)
	f.StringVar(&hc.Host, "health-check-host", "", "http check: Host header (default the backend address)")
	f.IntVar(&hc.ExpectedStatus, "health-check-status", 0, "http check: expected status (default any 2xx or 3xx)")
	f.DurationVar(&hcInterval, "health-check-interval", 0, "time between probes (default 10s)")
	f.DurationVar(&hcTimeout, "health-check-timeout", 0, "bound on one probe (default 5s)")
	f.IntVar(&hc.Rise, "health-check-rise", 0, "good probes in a row that bring a backend up (default 2)")
	f.IntVar(&hc.Fall, "health-check-fall", 0, "failed probes in a row that take it down (default 3)")
	f.BoolVar(&c.HTTP2, "http2", false, "speak cleartext HTTP/2 (h2c) to the backends (the earlier spelling of --backend-protocol h2)")
	f.StringVar((*string)(&c.BackendProtocol), "backend-protocol", "", "HTTP version to the backends: http1 (default), h2 (ALPN h2 over TLS, else h2c), auto (ALPN h2,http/1.1; needs --tls)")
	required(add, "id")

	var id string
	remove := &cobra.Command{Use: "remove", Short: "Remove a cluster with its frontends and backends", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.send(cmd, order.RemoveCluster{ID: id}, nil)
		}}
	remove.Flags().StringVar(&id, "id", "", "cluster id")
	required(remove, "id")
	return group("cluster", "List, add, update and remove clusters",
		simple(g, "list", "List the clusters", order.ListClusters{}, printClusters), add, clusterUpdateCommand(g), remove)
}

// anyChanged reports whether one of the flags was set on the command line.
func anyChanged(cmd *cobra.Command, names ...string) bool {
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

func backendCommand(g *globals) *cobra.Command {
	var listCluster string
	list := &cobra.Command{Use: "list", Short: "List backends with their health and in-flight requests", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.send(cmd, order.ListBackends{ClusterID: listCluster}, printBackends)
		}}
	list.Flags().StringVar(&listCluster, "cluster", "", "only this cluster's backends")

	var b order.Backend
	add := &cobra.Command{Use: "add", Short: "Add a backend to a cluster", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := order.ValidateWeight("--weight", b.Weight); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return g.send(cmd, order.AddBackend{Backend: b}, nil)
		}}
	f := add.Flags()
	f.StringVar(&b.ClusterID, "cluster", "", "cluster id")
	f.StringVar(&b.ID, "id", "", "backend id")
	f.StringVar(&b.Address, "address", "", "backend address: IP:PORT or HOST:PORT (resolved when added, and every resolve_interval)")
	f.IntVar(&b.Weight, "weight", order.DefaultWeight, fmt.Sprintf("relative share of traffic, %d to %d", order.MinWeight, order.MaxWeight))
	f.BoolVar(&b.Backup, "backup", false, "use only when no primary backend is usable")
	f.StringVar(&b.StickyID, "sticky-id", "", "sticky session cookie value (default the id)")
	required(add, "cluster", "id", "address")

	var r order.RemoveBackend
	remove := &cobra.Command{Use: "remove", Short: "Remove a backend; its in-flight requests finish", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.send(cmd, r, nil) }}
	remove.Flags().StringVar(&r.ClusterID, "cluster", "", "cluster id")
	remove.Flags().StringVar(&r.ID, "id", "", "backend id")
	required(remove, "cluster", "id")
	return group("backend", "List, add, update and remove backends", list, add, backendUpdateCommand(g), remove)
}

func frontendCommand(g *globals) *cobra.Command {
	httpish := func(p order.Protocol) *cobra.Command {
		sub := func(use, short string, mk func(order.UpdateHTTPFrontend) order.Order, withTarget bool) *cobra.Command {
			var f order.HTTPFrontend
			var pathType string
			var keys func(*order.HTTPFrontend) error
			var settings func(*order.UpdateHTTPFrontend) error
			cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
				RunE: func(cmd *cobra.Command, _ []string) error {
					f.PathType = order.PathType(pathType)
					if err := keys(&f); err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					u := order.UpdateHTTPFrontend{HTTPFrontend: f}
					if settings != nil {
						if err := settings(&u); err != nil {
							return &exitError{code: exitUsage, err: err}
						}
					}
					switch {
					case !withTarget:
					case f.ClusterID != "" && f.Deny:
						return &exitError{code: exitUsage, err: fmt.Errorf("give one of --cluster and --deny")}
					case use == "add" && f.ClusterID == "" && !f.Deny && !u.Redirect.Set:
						return &exitError{code: exitUsage, err: fmt.Errorf("give one of --cluster, --deny and --redirect")}
					}
					return g.send(cmd, mk(u), nil)
				}}
			fl := cmd.Flags()
			fl.StringVar(&f.Address, "address", "", "listener address, as the listener was added with")
			fl.StringVar(&f.Hostname, "hostname", "", "host: exact, *.wildcard, /regex/ labels (/api[0-9]+/.example.com) or *")
			fl.StringVar(&f.Path, "path", "", "path rule value")
			fl.StringVar(&pathType, "path-type", "prefix", "prefix, equals or regex")
			fl.StringVar(&f.Method, "method", "", "only this method")
			keys = routeKeyFlags(cmd)
			if withTarget {
				fl.StringVar(&f.ClusterID, "cluster", "", "cluster to send matching requests to")
				fl.BoolVar(&f.Deny, "deny", false, "answer matching requests 403")
				rewrites, policy := rewriteFlags(cmd), frontendPolicyFlags(cmd)
				if p == order.HTTPS {
					fl.Bool("acme", false, "obtain and renew a certificate for the hostname from the [acme] CA (--acme=false stops)")
				}
				settings = func(u *order.UpdateHTTPFrontend) error {
					if err := rewrites(u); err != nil {
						return err
					}
					if fl.Lookup("acme") != nil && fl.Changed("acme") {
						v, _ := fl.GetBool("acme")
						u.ACME = order.Some(v)
					}
					return policy(u)
				}
			}
			required(cmd, "address", "hostname")
			return cmd
		}
		add := func(u order.UpdateHTTPFrontend) order.Order {
			f := u.Patch(u.HTTPFrontend)
			if p == order.HTTPS {
				return order.AddHTTPSFrontend{HTTPFrontend: f}
			}
			return order.AddHTTPFrontend{HTTPFrontend: f}
		}
		remove := func(u order.UpdateHTTPFrontend) order.Order {
			if p == order.HTTPS {
				return order.RemoveHTTPSFrontend{HTTPFrontend: u.HTTPFrontend}
			}
			return order.RemoveHTTPFrontend{HTTPFrontend: u.HTTPFrontend}
		}
		update := func(u order.UpdateHTTPFrontend) order.Order {
			if p == order.HTTPS {
				return order.UpdateHTTPSFrontend(u)
			}
			return u
		}
		return group(string(p), string(p)+" frontends",
			sub("add", "Route requests to a cluster (or deny them)", add, true),
			sub("update", "Change the frontend with these selectors: its cluster (or deny) and the settings given, at once", update, true),
			sub("remove", "Remove the frontend with these selectors", remove, false))
	}
	tcp := func(use, short string, mk func(order.TCPFrontend) order.Order) *cobra.Command {
		var f order.TCPFrontend
		cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return g.send(cmd, mk(f), nil) }}
		cmd.Flags().StringVar(&f.Address, "address", "", "tcp listener address")
		cmd.Flags().StringVar(&f.ClusterID, "cluster", "", "cluster id")
		cmd.Flags().StringVar(&f.Hostname, "hostname", "",
			"server name (SNI) of the connections this frontend takes, exact or *.example.com; none: the listener's default route")
		required(cmd, "address", "cluster")
		return cmd
	}
	return group("frontend", "List, add, update and remove frontends",
		simple(g, "list", "List the frontends", order.ListFrontends{}, printFrontends),
		httpish(order.HTTP), httpish(order.HTTPS),
		group("tcp", "tcp frontends",
			tcp("add", "Send a tcp listener's connections to a cluster",
				func(f order.TCPFrontend) order.Order { return order.AddTCPFrontend{TCPFrontend: f} }),
			tcp("update", "Send a tcp listener's new connections to another cluster",
				func(f order.TCPFrontend) order.Order { return order.UpdateTCPFrontend{TCPFrontend: f} }),
			tcp("remove", "Remove a tcp listener's frontend",
				func(f order.TCPFrontend) order.Order { return order.RemoveTCPFrontend{TCPFrontend: f} })),
	)
}

func loggingCommand(g *globals) *cobra.Command {
	var level string
	cmd := &cobra.Command{Use: "logging", Short: "Change the log level at runtime", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.send(cmd, order.SetLogLevel{Level: strings.ToLower(level)}, nil)
		}}
	cmd.Flags().StringVar(&level, "level", "", "trace, debug, info, warn or error")
	required(cmd, "level")
	return cmd
}

func shutdownCommand(g *globals) *cobra.Command {
	var hard bool
	cmd := &cobra.Command{Use: "shutdown", Short: "Stop the proxy: soft (in-flight requests finish) or --hard (now)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.send(cmd, order.Shutdown{Hard: hard}, nil) }}
	cmd.Flags().BoolVar(&hard, "hard", false, "close every connection now")
	return cmd
}
