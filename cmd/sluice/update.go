package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sluiceproxy/sluice/order"
)

// The update commands change only the settings their flags give (SPEC §8):
// a flag left out leaves its setting as it is. Booleans take a value
// (--sticky-session=false) or, where SPEC names them, a --no- form.

// answerFlags adds --answer CODE=FILE (repeatable) and --no-answers to cmd;
// the func returns the answers given (read from their files), whether any
// was, and an input error.
func answerFlags(cmd *cobra.Command) func() (map[string]string, bool, error) {
	var specs []string
	var none bool
	cmd.Flags().StringArrayVar(&specs, "answer", nil, "replace a default answer: CODE=FILE (an HTML body, or a whole HTTP/1.1 response); repeatable")
	if cmd.Name() == "update" {
		cmd.Flags().BoolVar(&none, "no-answers", false, "drop every replacement answer")
	}
	return func() (map[string]string, bool, error) {
		if none {
			if len(specs) > 0 {
				return nil, false, fmt.Errorf("--answer and --no-answers do not go together")
			}
			return nil, true, nil
		}
		if len(specs) == 0 {
			return nil, false, nil
		}
		m := map[string]string{}
		for _, s := range specs {
			code, file, ok := strings.Cut(s, "=")
			if !ok || code == "" || file == "" {
				return nil, false, fmt.Errorf("--answer %q: want CODE=FILE", s)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, false, fmt.Errorf("--answer %s: %w", code, err)
			}
			m[code] = string(b)
		}
		return m, true, nil
	}
}

// optBool is the value of a boolean flag when it was given.
func optBool(f *pflag.FlagSet, name string) order.Opt[bool] {
	if !f.Changed(name) {
		return order.Opt[bool]{}
	}
	v, _ := f.GetBool(name)
	return order.Some(v)
}

func optString(f *pflag.FlagSet, name string) order.Opt[string] {
	if !f.Changed(name) {
		return order.Opt[string]{}
	}
	v, _ := f.GetString(name)
	return order.Some(v)
}

func optInt(f *pflag.FlagSet, name string) order.Opt[int] {
	if !f.Changed(name) {
		return order.Opt[int]{}
	}
	v, _ := f.GetInt(name)
	return order.Some(v)
}

func optDuration(f *pflag.FlagSet, name string) (order.Opt[order.Duration], error) {
	if !f.Changed(name) {
		return order.Opt[order.Duration]{}, nil
	}
	s, _ := f.GetString(name)
	var d order.Duration
	if err := d.UnmarshalText([]byte(s)); err != nil {
		return order.Opt[order.Duration]{}, fmt.Errorf("--%s: %w", name, err)
	}
	return order.Some(d), nil
}

func listenerUpdateCommand(g *globals) *cobra.Command {
	var addr string
	var listenerRoute func(*order.UpdateListener)
	var listenerTLS func() (order.UpdateListenerTLS, error)
	var hsts func() *order.HSTS
	var answers func() (map[string]string, bool, error)
	cmd := &cobra.Command{Use: "update", Short: "Change a listener's settings: only those given", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			o := order.UpdateListener{Address: addr, ExpectProxy: optBool(f, "expect-proxy"),
				StickyName: optString(f, "sticky-name"), MaxConnectionsPerIP: optInt(f, "max-connections-per-ip"),
				MaxHeadBytes: optInt(f, "max-head-bytes"), MaxHeaderFields: optInt(f, "max-header-fields")}
			if f.Changed("max-body-bytes") {
				v, _ := f.GetInt64("max-body-bytes")
				o.MaxBodyBytes = order.Some(v)
			}
			if f.Changed("tls-versions") {
				v, _ := f.GetStringSlice("tls-versions")
				o.TLSVersions = order.Some(v)
			}
			tlsUpdate, err := listenerTLS()
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			o.UpdateListenerTLS = tlsUpdate
			for _, d := range []struct {
				name string
				dst  *order.Opt[order.Duration]
			}{{"front-timeout", &o.FrontTimeout}, {"back-timeout", &o.BackTimeout}, {"connect-timeout", &o.ConnectTimeout},
				{"request-timeout", &o.RequestTimeout}, {"tunnel-timeout", &o.TunnelTimeout}, {"keepalive-timeout", &o.KeepAliveTimeout}} {
				v, err := optDuration(f, d.name)
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				*d.dst = v
			}
			switch {
			case f.Changed("no-hsts"):
				o.HSTS = order.Some[*order.HSTS](nil)
			case hsts() != nil:
				o.HSTS = order.Some(hsts())
			}
			m, set, err := answers()
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if set {
				o.Answers = order.Some(m)
			}
			listenerRoute(&o)
			return g.send(cmd, o, nil)
		}}
	listenerRoute = listenerRouteFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&addr, "address", "", "listener address")
	f.Bool("expect-proxy", false, "require a PROXY protocol header (=false to stop)")
	for _, d := range []string{"front-timeout", "back-timeout", "connect-timeout", "request-timeout", "tunnel-timeout", "keepalive-timeout"} {
		f.String(d, "", "new "+strings.ReplaceAll(d, "-", " ")+" (e.g. 30s)")
	}
	f.String("sticky-name", "", "sticky session cookie name")
	f.Int("max-connections-per-ip", 0, "connections at once from one client IP (0: no cap)")
	f.Int("max-head-bytes", 0, "largest request head in bytes")
	f.Int("max-header-fields", 0, "most request header fields")
	f.Int64("max-body-bytes", 0, "largest request body in bytes (0: no limit)")
	f.StringSlice("tls-versions", nil, "TLS versions of an https listener: TLS1.2,TLS1.3")
	listenerTLS = listenerTLSFlags(cmd)
	f.Bool("no-client-auth", false, "stop asking clients for certificates (clears --client-auth and --client-ca)")
	hsts = hstsFlags(cmd)
	f.Bool("no-hsts", false, "stop sending Strict-Transport-Security")
	answers = answerFlags(cmd)
	required(cmd, "address")
	return cmd
}

func clusterUpdateCommand(g *globals) *cobra.Command {
	var id string
	var clusterRoute func(*order.UpdateCluster) error
	var backendTLS func() (*order.BackendTLS, error)
	var hc order.HealthCheck
	var hcInterval, hcTimeout time.Duration
	var hsts func() *order.HSTS
	var answers func() (map[string]string, bool, error)
	var policy func(*order.UpdateCluster) error
	cmd := &cobra.Command{Use: "update", Short: "Change a cluster's settings: only those given", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			o := order.UpdateCluster{ID: id, StickySession: optBool(f, "sticky-session"),
				HTTPSRedirect: optBool(f, "https-redirect"), SendProxy: optBool(f, "send-proxy"), HTTP2: optBool(f, "http2")}
			if err := policy(&o); err != nil {
				return err
			}
			if f.Changed("backend-protocol") {
				v, _ := f.GetString("backend-protocol")
				o.BackendProtocol = order.Some(order.BackendProtocol(v))
			}
			if f.Changed("load-balancing") {
				v, _ := f.GetString("load-balancing")
				o.LoadBalancing = order.Some(order.LoadBalancing(v))
			}
			switch {
			case f.Changed("no-health-check"):
				o.HealthCheck = order.Some[*order.HealthCheck](nil)
			case f.Changed("health-check"):
				hc.Interval, hc.Timeout = order.Duration(hcInterval), order.Duration(hcTimeout)
				hc.FailOpen, _ = f.GetBool("health-check-fail-open")
				o.HealthCheck = order.Some(&hc)
			case anyChanged(cmd, "health-check-fail-open", "health-check-path", "health-check-host", "health-check-status", "health-check-interval",
				"health-check-timeout", "health-check-rise", "health-check-fall"):
				return &exitError{code: exitUsage, err: fmt.Errorf("a health check is replaced whole: give --health-check with its options")}
			}
			switch {
			case f.Changed("no-hsts"):
				o.HSTS = order.Some[*order.HSTS](nil)
			case hsts() != nil:
				o.HSTS = order.Some(hsts())
			}
			t, err := backendTLS()
			switch {
			case err != nil:
				return &exitError{code: exitUsage, err: err}
			case f.Changed("no-tls"):
				o.TLS = order.Some[*order.BackendTLS](nil)
			case t != nil:
				o.TLS = order.Some(t)
			}
			m, set, err := answers()
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if set {
				o.Answers = order.Some(m)
			}
			if err := clusterRoute(&o); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return g.send(cmd, o, nil)
		}}
	policy = clusterPolicyUpdate(cmd)
	clusterRoute = clusterRouteFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "cluster id")
	f.String("load-balancing", "", "round_robin, random, least_loaded, power_of_two or maglev")
	f.Bool("sticky-session", false, "pin clients to a backend with a cookie (=false to stop)")
	f.Bool("https-redirect", false, "answer 301 to https on http listeners (=false to stop)")
	f.Bool("send-proxy", false, "send a PROXY protocol v2 header to backends (=false to stop)")
	f.Bool("http2", false, "speak cleartext HTTP/2 (h2c) to the backends (=false to stop)")
	f.String("backend-protocol", "", "HTTP version to the backends: http1, h2 or auto (auto needs tls)")
	f.StringVar(&hc.Type, "health-check", "", "replace the health check: http or tcp (with its options below)")
	f.StringVar(&hc.Path, "health-check-path", "", `http check: request path (default "/")`)
	f.StringVar(&hc.Host, "health-check-host", "", "http check: Host header")
	f.IntVar(&hc.ExpectedStatus, "health-check-status", 0, "http check: expected status")
	f.DurationVar(&hcInterval, "health-check-interval", 0, "time between probes (default 10s)")
	f.DurationVar(&hcTimeout, "health-check-timeout", 0, "bound on one probe (default 5s)")
	f.IntVar(&hc.Rise, "health-check-rise", 0, "good probes that bring a backend up (default 2)")
	f.IntVar(&hc.Fall, "health-check-fall", 0, "failed probes that take it down (default 3)")
	f.Bool("no-health-check", false, "stop the health check")
	backendTLS = backendTLSFlags(cmd)
	f.Bool("no-tls", false, "speak plain TCP to the backends again")
	hsts = hstsFlags(cmd)
	f.Bool("no-hsts", false, "stop sending the cluster's own Strict-Transport-Security")
	answers = answerFlags(cmd)
	required(cmd, "id")
	return cmd
}

func backendUpdateCommand(g *globals) *cobra.Command {
	var o order.UpdateBackend
	cmd := &cobra.Command{Use: "update", Short: "Change a backend's weight, backup flag, address or sticky id, at once", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if f.Changed("backup") && f.Changed("no-backup") {
				return &exitError{code: exitUsage, err: fmt.Errorf("--backup and --no-backup do not go together")}
			}
			o.Address, o.StickyID, o.Weight = optString(f, "address"), optString(f, "sticky-id"), optInt(f, "weight")
			o.Backup = optBool(f, "backup")
			if f.Changed("no-backup") {
				o.Backup = order.Some(false)
			}
			if o.Weight.Set {
				if err := order.ValidateWeight("--weight", o.Weight.V); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			return g.send(cmd, o, nil)
		}}
	f := cmd.Flags()
	f.StringVar(&o.ClusterID, "cluster", "", "cluster id")
	f.StringVar(&o.ID, "id", "", "backend id")
	f.String("address", "", "new address, HOST:PORT")
	f.Int("weight", 0, fmt.Sprintf("relative share of traffic, %d to %d", order.MinWeight, order.MaxWeight))
	f.Bool("backup", false, "use only when no primary backend is usable")
	f.Bool("no-backup", false, "a primary backend again")
	f.String("sticky-id", "", "sticky session cookie value")
	required(cmd, "cluster", "id")
	return cmd
}
