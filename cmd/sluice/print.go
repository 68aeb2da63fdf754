package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sluiceproxy/sluice/order"
)

// table prints aligned columns.
func table(w io.Writer, header string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printStatus(w io.Writer, c *order.Content) {
	s := c.Status
	if s == nil {
		return
	}
	table(w, "FIELD\tVALUE", [][]string{
		{"version", s.Version},
		{"pid", fmt.Sprintf("%d", s.PID)},
		{"uptime", fmt.Sprintf("%ds", s.UptimeSeconds)},
		{"listeners", fmt.Sprintf("%d (%d active)", s.Listeners, s.ActiveListeners)},
		{"clusters", fmt.Sprint(s.Clusters)},
		{"frontends", fmt.Sprint(s.Frontends)},
		{"backends", fmt.Sprintf("%d (%d up, %d down)", s.Backends, s.BackendsUp, s.BackendsDown)},
		{"connections", fmt.Sprint(s.ActiveConnections)},
		{"tunnels", fmt.Sprint(s.ActiveTunnels)},
		{"requests", fmt.Sprint(s.Requests)},
		{"panics", fmt.Sprint(s.Panics)},
		{"memory", fmt.Sprintf("%.1f MiB", float64(s.MemoryBytes)/(1<<20))},
		{"goroutines", fmt.Sprint(s.Goroutines)},
		{"idle workers", fmt.Sprint(s.IdleWorkers)},
		{"reclaimed connections", fmt.Sprint(s.ReclaimedConnections)},
		{"refused connections", fmt.Sprint(s.RefusedConnections)},
	})
	if f := s.Fleet; f != nil {
		etcd := "reachable"
		if !f.Connected {
			etcd = "UNREACHABLE: serving the last configuration"
		}
		fmt.Fprintf(w, "fleet: etcd %s since %s; serving revision %d (seen %d); %d applied, %d refused, %d resyncs, %d outages\n",
			etcd, orDash(f.Since), f.Revision, f.Seen, f.Applied, f.Refused, f.Resyncs, f.Outages)
		if f.Unreachable != "" {
			fmt.Fprintf(w, "fleet: etcd unreachable: %s\n", f.Unreachable)
		}
		if f.Error != "" {
			fmt.Fprintf(w, "fleet: revision %d refused: %s\n", f.Seen, f.Error)
		}
	}
}

func printListeners(w io.Writer, c *order.Content) {
	var rows [][]string
	for _, l := range c.Listeners {
		rows = append(rows, []string{string(l.Protocol), l.Address, yes(l.Active), yes(l.ExpectProxy)})
	}
	table(w, "PROTOCOL\tADDRESS\tACTIVE\tEXPECT_PROXY", rows)
}

func printClusters(w io.Writer, c *order.Content) {
	var rows [][]string
	for _, cl := range c.Clusters {
		bp := "-" // a tcp cluster relays bytes
		if cl.Protocol != order.TCP {
			bp = string(cl.Speaks())
		}
		rows = append(rows, []string{cl.ID, string(cl.Protocol), string(cl.LoadBalancing),
			yes(cl.StickySession), yes(cl.HTTPSRedirect), yes(cl.SendProxy), checkSummary(cl.HealthCheck), tlsSummary(cl.TLS), bp})
	}
	table(w, "ID\tPROTOCOL\tLOAD_BALANCING\tSTICKY\tHTTPS_REDIRECT\tSEND_PROXY\tHEALTH_CHECK\tTLS\tBACKEND_PROTOCOL", rows)
}

// checkSummary describes a health check in a few words: "http /health
// every 10s", "tcp every 5s", or "-".
func checkSummary(hc *order.HealthCheck) string {
	if hc == nil {
		return "-"
	}
	s := order.CheckHTTP
	if hc.Type == order.CheckTCP {
		s = order.CheckTCP
	} else {
		path := hc.Path
		if path == "" {
			path = "/"
		}
		s += " " + path
	}
	interval := "10s"
	if hc.Interval > 0 {
		interval = hc.Interval.String()
	}
	s += " every " + interval
	if hc.FailOpen {
		s += ", fail-open"
	}
	return s
}

func printBackends(w io.Writer, c *order.Content) {
	var rows [][]string
	for _, b := range c.Backends {
		health := b.Health
		if b.Failures > 0 {
			health += fmt.Sprintf(" (%d failed)", b.Failures)
		}
		addr := b.Address
		if len(b.Resolved) > 0 { // a named host: where it points now
			addr += " (" + strings.Join(b.Resolved, ",") + ")"
		}
		rows = append(rows, []string{b.ClusterID, b.ID, addr, fmt.Sprint(b.Weight), yes(b.Backup),
			health, orDash(b.Check), fmt.Sprint(b.InFlight), fmt.Sprint(b.IdleConnections), fmt.Sprint(b.H2Connections)})
	}
	table(w, "CLUSTER\tID\tADDRESS\tWEIGHT\tBACKUP\tHEALTH\tCHECK\tIN_FLIGHT\tIDLE_CONNS\tH2_CONNS", rows)
}

func printFrontends(w io.Writer, c *order.Content) {
	var rows [][]string
	add := func(proto string, fs []order.HTTPFrontend) {
		for _, f := range fs {
			target := orDash(f.ClusterID)
			if f.Deny {
				target = "deny"
			}
			rows = append(rows, []string{proto, f.Address, f.Hostname, string(f.PathType), orDash(f.Path), orDash(f.Method), target,
				orDash(routeSettings(f))})
		}
	}
	add("http", c.HTTPFrontends)
	add("https", c.HTTPSFrontends)
	for _, f := range c.TCPFrontends {
		rows = append(rows, []string{"tcp", f.Address, orDash(f.Hostname), "-", "-", "-", f.ClusterID, "-"})
	}
	table(w, "PROTOCOL\tADDRESS\tHOSTNAME\tPATH_TYPE\tPATH\tMETHOD\tTARGET\tROUTING", rows)
}

func printCertificates(w io.Writer, c *order.Content) {
	var rows [][]string
	for _, ct := range c.Certificates {
		rows = append(rows, []string{ct.Address, ct.Fingerprint, strings.Join(ct.Names, ","), ct.NotAfter})
	}
	table(w, "ADDRESS\tFINGERPRINT\tNAMES\tEXPIRES", rows)
}

// routeSettings sums up a frontend's routing and rewrite settings (issue
// 16) in one column: position, conditions, redirect, rewrites, edits.
func routeSettings(f order.HTTPFrontend) string {
	var parts []string
	if f.Position != "" && f.Position != order.Tree {
		parts = append(parts, string(f.Position))
	}
	for _, p := range f.MatchHeaders {
		parts = append(parts, "header:"+p.Name+":"+string(p.Match)+strings.TrimSuffix(":"+p.Value, ":"))
	}
	for _, p := range f.MatchQuery {
		parts = append(parts, "query:"+p.Name+":"+string(p.Match)+strings.TrimSuffix(":"+p.Value, ":"))
	}
	if r := f.Redirect; r != nil {
		parts = append(parts, fmt.Sprintf("redirect:%d", cmp.Or(r.Status, 301)))
	}
	if f.RewriteHost != "" {
		parts = append(parts, "host:"+f.RewriteHost)
	}
	if f.RewritePath != "" {
		parts = append(parts, "path:"+f.RewritePath)
	}
	if len(f.Headers) > 0 {
		parts = append(parts, fmt.Sprintf("%d header edits", len(f.Headers)))
	}
	return strings.Join(parts, " ")
}
