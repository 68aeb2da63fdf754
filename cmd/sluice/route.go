package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/order"
)

// The flags of the routing and rewrite settings (issue 16) on the
// frontend, cluster and listener commands.

// routeKeyFlags adds a frontend's key flags of issue 16 (--position,
// --match-header, --match-query) to cmd; the func fills them into f.
func routeKeyFlags(cmd *cobra.Command) func(f *order.HTTPFrontend) error {
	var position string
	var headers, query []string
	fl := cmd.Flags()
	fl.StringVar(&position, "position", "", "where the rule sits: pre (before every other), tree (default) or post (after them)")
	fl.StringArrayVar(&headers, "match-header", nil, "a condition on a header field: NAME:exact:VALUE, NAME:prefix:VALUE, NAME:regex:RE, NAME:present or NAME:absent; repeatable")
	fl.StringArrayVar(&query, "match-query", nil, "a condition on a query parameter, as --match-header; repeatable")
	return func(f *order.HTTPFrontend) error {
		f.Position = order.Position(position)
		var err error
		if f.MatchHeaders, err = parsePredicates("--match-header", headers); err != nil {
			return err
		}
		f.MatchQuery, err = parsePredicates("--match-query", query)
		return err
	}
}

func parsePredicates(flag string, specs []string) ([]order.Predicate, error) {
	var out []order.Predicate
	for _, s := range specs {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) < 2 {
			return nil, fmt.Errorf("%s %q: want NAME:MATCH[:VALUE]", flag, s)
		}
		p := order.Predicate{Name: parts[0], Match: order.Match(parts[1])}
		if len(parts) == 3 {
			p.Value = parts[2]
		}
		out = append(out, p)
	}
	return out, nil
}

// headerFlags adds --header POSITION:ACTION:NAME[=VALUE] (repeatable) and,
// on update commands, --no-headers; the func returns the edits given and
// whether any (or --no-headers) was.
func headerFlags(cmd *cobra.Command) func() ([]order.HeaderEdit, bool, error) {
	var specs []string
	var none bool
	cmd.Flags().StringArrayVar(&specs, "header", nil, "edit a header field: request|response:set|add|delete:NAME[=VALUE] (e.g. response:set:X-Frame-Options=DENY); repeatable")
	if cmd.Name() == "update" {
		cmd.Flags().BoolVar(&none, "no-headers", false, "drop every header edit")
	}
	return func() ([]order.HeaderEdit, bool, error) {
		if none {
			if len(specs) > 0 {
				return nil, false, fmt.Errorf("--header and --no-headers do not go together")
			}
			return nil, true, nil
		}
		var out []order.HeaderEdit
		for _, s := range specs {
			parts := strings.SplitN(s, ":", 3)
			if len(parts) != 3 {
				return nil, false, fmt.Errorf("--header %q: want POSITION:ACTION:NAME[=VALUE]", s)
			}
			name, value, _ := strings.Cut(parts[2], "=")
			out = append(out, order.HeaderEdit{Position: order.EditPosition(parts[0]), Action: order.EditAction(parts[1]),
				Name: name, Value: value})
		}
		return out, len(out) > 0, nil
	}
}

// rewriteFlags adds a frontend's settings flags of issue 16 (redirect,
// rewrites, header edits) to an add or update command; the func fills
// them into u, the update (of which add uses the fields), marking present
// the settings given.
func rewriteFlags(cmd *cobra.Command) func(u *order.UpdateHTTPFrontend) error {
	fl := cmd.Flags()
	fl.Int("redirect", 0, "answer every matching request with a redirection: 301, 302, 307 or 308")
	fl.String("redirect-scheme", "", "the redirection's scheme: http or https (default the request's)")
	fl.Int("redirect-port", 0, "the redirection's port (default the request's when the scheme stays, else none)")
	fl.String("redirect-location", "", "the redirection's whole Location, a template ($HOST, $HOST[n], $PATH, $PATH[n], $QUERY)")
	fl.String("rewrite-host", "", "the Host sent to the backend, a template ($HOST, $HOST[n])")
	fl.String("rewrite-path", "", "the path sent to the backend, a template ($HOST[n], $PATH, $PATH[n]); the query is kept")
	if cmd.Name() == "update" {
		fl.Bool("no-redirect", false, "forward again instead of redirecting")
	}
	edits := headerFlags(cmd)
	return func(u *order.UpdateHTTPFrontend) error {
		if anyChanged(cmd, "redirect", "redirect-scheme", "redirect-port", "redirect-location") {
			if fl.Changed("no-redirect") {
				return fmt.Errorf("--no-redirect and the redirect flags do not go together")
			}
			r := &order.Redirect{}
			r.Status, _ = fl.GetInt("redirect")
			r.Scheme, _ = fl.GetString("redirect-scheme")
			r.Port, _ = fl.GetInt("redirect-port")
			r.Location, _ = fl.GetString("redirect-location")
			u.Redirect = order.Some(r)
		} else if fl.Changed("no-redirect") {
			u.Redirect = order.Some[*order.Redirect](nil)
		}
		u.RewriteHost, u.RewritePath = optString(fl, "rewrite-host"), optString(fl, "rewrite-path")
		es, set, err := edits()
		if err != nil {
			return err
		}
		if set {
			u.Headers = order.Some(es)
		}
		return nil
	}
}

// clusterRouteFlags adds --https-redirect-port and --header to a cluster
// add or update command; the func fills them into u.
func clusterRouteFlags(cmd *cobra.Command) func(u *order.UpdateCluster) error {
	cmd.Flags().Int("https-redirect-port", 0, "the port of --https-redirect's Location (default none: 443)")
	edits := headerFlags(cmd)
	return func(u *order.UpdateCluster) error {
		u.HTTPSRedirectPort = optInt(cmd.Flags(), "https-redirect-port")
		es, set, err := edits()
		if err != nil {
			return err
		}
		if set {
			u.Headers = order.Some(es)
		}
		return nil
	}
}

// listenerRouteFlags adds --x-real-ip and --request-id-header to a
// listener add or update command; the func fills them into u.
func listenerRouteFlags(cmd *cobra.Command) func(u *order.UpdateListener) {
	cmd.Flags().Bool("x-real-ip", false, "set X-Real-IP to the client's IP on requests to backends (=false to stop)")
	cmd.Flags().String("request-id-header", "", "the name of the request id field (default Sluice-Request-Id)")
	return func(u *order.UpdateListener) {
		u.XRealIP, u.RequestIDHeader = optBool(cmd.Flags(), "x-real-ip"), optString(cmd.Flags(), "request-id-header")
	}
}
