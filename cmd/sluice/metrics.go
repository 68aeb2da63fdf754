package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sluiceproxy/sluice/order"
)

// metricsCommand prints the counts of listeners, clusters and backends.
func metricsCommand(g *globals) *cobra.Command {
	var m order.Metrics
	cmd := &cobra.Command{Use: "metrics", Short: "Show request, response, error and timing figures", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.send(cmd, m, printMetrics) }}
	cmd.Flags().StringVar(&m.ClusterID, "cluster", "", "only this cluster and its backends")
	cmd.Flags().StringVar(&m.BackendID, "backend", "", "only backends with this id")
	cmd.Flags().BoolVar(&m.Buckets, "buckets", false, "with --json: each histogram's bucket counts too")
	return cmd
}

func printMetrics(w io.Writer, c *order.Content) {
	m := c.Metrics
	if m == nil {
		return
	}
	classes := func(s order.StatusClasses) string {
		return fmt.Sprintf("%d/%d/%d/%d/%d", s.Informational, s.Success, s.Redirection, s.ClientError, s.ServerError)
	}
	times := func(t order.TimeSummary) string {
		if t.Count == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f/%.1f/%.1f", t.P50Ms, t.P90Ms, t.P99Ms)
	}
	if len(m.Listeners) > 0 {
		var rows [][]string
		for _, l := range m.Listeners {
			e := l.Errors
			rows = append(rows, []string{l.Address, fmt.Sprint(l.ConnectionsAccepted), fmt.Sprint(l.ConnectionsActive),
				fmt.Sprint(l.Requests), classes(l.Responses), fmt.Sprint(l.BytesIn), fmt.Sprint(l.BytesOut),
				fmt.Sprint(l.TunnelsActive), fmt.Sprintf("%d/%d/%d/%d", e.Parse, e.Timeout, e.Reset, e.TLS),
				fmt.Sprintf("%d/%d", l.TLSHandshakes, l.TLSHandshakeFailures), times(l.RequestTime)})
		}
		table(w, "LISTENER\tCONNS\tOPEN\tREQUESTS\t1xx/2xx/3xx/4xx/5xx\tBYTES_IN\tBYTES_OUT\tTUNNELS\tERR parse/timeout/reset/tls\tTLS ok/failed\tTIME_MS p50/p90/p99", rows)
	}
	if len(m.Clusters) > 0 {
		if len(m.Listeners) > 0 {
			fmt.Fprintln(w)
		}
		var rows [][]string
		for _, c := range m.Clusters {
			e := c.Errors
			rows = append(rows, []string{c.ClusterID, fmt.Sprint(c.Requests), classes(c.Responses), fmt.Sprint(c.Retries),
				fmt.Sprintf("%d/%d/%d/%d", e.Connect, e.Timeout, e.Reset, e.Parse),
				fmt.Sprintf("%d/%d", c.BackendsUp, c.BackendsDown), times(c.RequestTime), times(c.ResponseTime), times(c.ConnectTime)})
		}
		table(w, "CLUSTER\tREQUESTS\t1xx/2xx/3xx/4xx/5xx\tRETRIES\tERR connect/timeout/reset/parse\tBACKENDS up/down\tTIME_MS p50/p90/p99\tTTFB_MS\tCONNECT_MS", rows)
	}
	if len(m.Backends) > 0 {
		fmt.Fprintln(w)
		var rows [][]string
		for _, b := range m.Backends {
			rows = append(rows, []string{b.ClusterID, b.BackendID, fmt.Sprint(b.Requests), classes(b.Responses),
				fmt.Sprint(b.BytesSent), fmt.Sprint(b.BytesReceived), fmt.Sprint(b.ConnectErrors), fmt.Sprint(b.Retries),
				fmt.Sprint(b.InFlight), times(b.ResponseTime), times(b.ConnectTime)})
		}
		table(w, "CLUSTER\tBACKEND\tREQUESTS\t1xx/2xx/3xx/4xx/5xx\tBYTES_SENT\tBYTES_RECEIVED\tCONNECT_ERRORS\tRETRIES\tIN_FLIGHT\tTTFB_MS p50/p90/p99\tCONNECT_MS", rows)
	}
}
