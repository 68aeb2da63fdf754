package main

// The traffic policy's flags (policy-guard): each nested setting is one
// flag of key=value pairs separated by commas, its lists joined with '+'
// (--retry attempts=2,on_status=502+503,backoff=50ms), the same keys as
// the configuration file's tables; and `sluice hash-password`.

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/sluiceproxy/sluice/order"
)

// lists are the keys whose values are lists.
var listKeys = map[string]bool{"on_status": true, "algorithms": true, "types": true}

// parsePairs decodes "k=v,k=v" into dst (a pointer to a policy struct),
// through JSON so that the keys are the order's.
func parsePairs(flag, s string, dst any) error {
	m := map[string]any{}
	if s != "" && s != "{}" {
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return fmt.Errorf("--%s: %q is not key=value", flag, kv)
			}
			m[k] = pairValue(k, v)
		}
	}
	b, _ := json.Marshal(m)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("--%s: %v", flag, err)
	}
	return nil
}

func pairValue(k, v string) any {
	if listKeys[k] {
		var out []any
		for _, p := range strings.Split(v, "+") {
			out = append(out, pairValue("", p))
		}
		return out
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
		return b
	}
	return v
}

// clusterPolicyFlags adds the cluster policy flags to cmd; the returned
// func fills c's policy from those given, or reports a usage error.
func clusterPolicyFlags(cmd *cobra.Command) func(c *order.Cluster) error {
	f := cmd.Flags()
	f.String("hash-key", "", "maglev key: source=client_address|header|cookie,name=NAME")
	f.String("rate-limit", "", "token bucket: rate=N,period=1s,burst=N,key=client_address|header|route,header=NAME,max_keys=N")
	f.String("retry", "", "retries: attempts=N,on_status=502+503+504,budget_percent=20,backoff=25ms")
	f.String("compression", "", "compression: algorithms=zstd+br+gzip,types=text/html+...,min_size=1024,gzip_level=5 (\"{}\": the defaults)")
	f.Bool("health-check-fail-open", false, "use every backend when all fail the health check")
	f.String("passive-health", "", "circuit breaker of connects: max_failures=N,backoff=1s,backoff_max=30s (the proxy's values for those left out)")
	return func(c *order.Cluster) error {
		var err error
		get := func(name string, dst any) bool {
			if !f.Changed(name) || err != nil {
				return false
			}
			v, _ := f.GetString(name)
			err = parsePairs(name, v, dst)
			return err == nil
		}
		var hk order.HashKey
		if get("hash-key", &hk) {
			c.HashKey = &hk
		}
		var rl order.RateLimit
		if get("rate-limit", &rl) {
			c.RateLimit = &rl
		}
		var rt order.Retry
		if get("retry", &rt) {
			c.Retry = &rt
		}
		var z order.Compression
		if get("compression", &z) {
			c.Compression = &z
		}
		var ph order.PassiveHealth
		if get("passive-health", &ph) {
			c.PassiveHealth = &ph
		}
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		return nil
	}
}

// clusterPolicyUpdate fills the policy fields of an update_cluster from
// the flags given (and --no-hash-key, --no-rate-limit, --no-retry,
// --no-compression, --no-passive-health).
func clusterPolicyUpdate(cmd *cobra.Command) func(o *order.UpdateCluster) error {
	fill := clusterPolicyFlags(cmd)
	f := cmd.Flags()
	for _, n := range []string{"hash-key", "rate-limit", "retry", "compression", "passive-health"} {
		f.Bool("no-"+n, false, "remove the cluster's "+strings.ReplaceAll(n, "-", " "))
	}
	return func(o *order.UpdateCluster) error {
		var c order.Cluster
		if err := fill(&c); err != nil {
			return err
		}
		if f.Changed("hash-key") || f.Changed("no-hash-key") {
			o.HashKey = order.Some(c.HashKey)
		}
		if f.Changed("rate-limit") || f.Changed("no-rate-limit") {
			o.RateLimit = order.Some(c.RateLimit)
		}
		if f.Changed("retry") || f.Changed("no-retry") {
			o.Retry = order.Some(c.Retry)
		}
		if f.Changed("compression") || f.Changed("no-compression") {
			o.Compression = order.Some(c.Compression)
		}
		if f.Changed("passive-health") || f.Changed("no-passive-health") {
			o.PassiveHealth = order.Some(c.PassiveHealth)
		}
		return nil
	}
}

// frontendPolicyFlags adds --user, --basic-auth and --rate-limit to a
// frontend add or update command (and --no-basic-auth, --no-rate-limit to
// update); the func marks present in u the settings given.
func frontendPolicyFlags(cmd *cobra.Command) func(u *order.UpdateHTTPFrontend) error {
	f := cmd.Flags()
	f.StringArray("user", nil, "basic auth user: NAME=HASH (bcrypt or argon2id, see sluice hash-password); repeat for more")
	f.String("basic-auth", "", "basic auth options: realm=NAME,forward_authorization=true")
	f.String("rate-limit", "", "token bucket: rate=N,period=1s,burst=N,key=client_address|header|route,header=NAME,max_keys=N")
	if cmd.Name() == "update" {
		f.Bool("no-basic-auth", false, "remove the frontend's basic auth")
		f.Bool("no-rate-limit", false, "remove the frontend's rate limit")
	}
	return func(u *order.UpdateHTTPFrontend) error {
		auth, limit := anyChanged(cmd, "user", "basic-auth"), f.Changed("rate-limit")
		if auth && f.Changed("no-basic-auth") || limit && f.Changed("no-rate-limit") {
			return &exitError{code: exitUsage, err: fmt.Errorf("--no-basic-auth and --no-rate-limit do not go with the settings they remove")}
		}
		if auth {
			var a order.BasicAuth
			v, _ := f.GetString("basic-auth")
			if err := parsePairs("basic-auth", v, &a); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			users, _ := f.GetStringArray("user")
			a.Users = map[string]string{}
			for _, u := range users {
				name, hash, ok := strings.Cut(u, "=")
				if !ok {
					return &exitError{code: exitUsage, err: fmt.Errorf("--user: give NAME=HASH")}
				}
				a.Users[name] = hash
			}
			u.BasicAuth = order.Some(&a)
		} else if f.Changed("no-basic-auth") {
			u.BasicAuth = order.Some[*order.BasicAuth](nil)
		}
		if limit {
			var rl order.RateLimit
			v, _ := f.GetString("rate-limit")
			if err := parsePairs("rate-limit", v, &rl); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			u.RateLimit = order.Some(&rl)
		} else if f.Changed("no-rate-limit") {
			u.RateLimit = order.Some[*order.RateLimit](nil)
		}
		return nil
	}
}

// hashPasswordCommand prints the hash of a password read from standard
// input (its first line), for basic_auth users.
func hashPasswordCommand() *cobra.Command {
	var useArgon bool
	var cost int
	cmd := &cobra.Command{Use: "hash-password", Short: "Hash a password read from standard input for basic_auth (bcrypt, or --argon2id)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && err != io.EOF {
				return &exitError{code: exitUsage, err: err}
			}
			pass := strings.TrimRight(line, "\r\n")
			if pass == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("no password on standard input")}
			}
			if useArgon {
				salt := make([]byte, 16)
				_, _ = rand.Read(salt)
				const m, t, p = 64 << 10, 3, 2
				key := argon2.IDKey([]byte(pass), salt, t, m, p, 32)
				fmt.Fprintf(cmd.OutOrStdout(), "$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s\n", m, t, p,
					base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
				return nil
			}
			h, err := bcrypt.GenerateFromPassword([]byte(pass), cost)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(h))
			return nil
		}}
	cmd.Flags().BoolVar(&useArgon, "argon2id", false, "an argon2id hash (m=64MiB, t=3, p=2) instead of bcrypt")
	cmd.Flags().IntVar(&cost, "cost", 12, "bcrypt cost, 4 to 31")
	return cmd
}
