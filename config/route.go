package config

import (
	"strconv"
	"strings"

	"github.com/sluiceproxy/sluice/order"
)

// The routing and rewrite keys (issue 16): of frontends position,
// match_headers, match_query, redirect, rewrite_host, rewrite_path and
// headers; of clusters https_redirect_port and headers; of http and https
// listeners x_real_ip and request_id_header. Their values are checked by
// the orders they make (and the state), whose refusals report.go places
// at the nested key they name.

// routeFrontendKeys are the frontend keys read here, which a tcp frontend
// has no use for.
var routeFrontendKeys = []string{"position", "match_headers", "match_query", "redirect", "rewrite_host",
	"rewrite_path", "headers"}

// frontendRoute reads a frontend's routing and rewrite keys into f.
func frontendRoute(t *table, f *order.HTTPFrontend) {
	f.Position = order.Position(t.str("position"))
	f.MatchHeaders = predicates(t, "match_headers")
	f.MatchQuery = predicates(t, "match_query")
	if s := t.sub("redirect"); s != nil {
		f.Redirect = &order.Redirect{Status: s.integer("status", 100, 999), Scheme: s.str("scheme"),
			Port: s.integer("port", 0, 65535), Location: s.str("location")}
		s.done()
	}
	f.RewriteHost = t.str("rewrite_host")
	f.RewritePath = t.str("rewrite_path")
	f.Headers = headerEdits(t, "headers")
}

// clusterRoute reads a cluster's routing and rewrite keys into c.
func clusterRoute(t *table, c *order.Cluster) {
	c.HTTPSRedirectPort = t.integer("https_redirect_port", 1, 65535)
	c.Headers = headerEdits(t, "headers")
}

// listenerRoute reads a listener's routing and rewrite keys into l.
func listenerRoute(t *table, l *order.Listener) {
	l.XRealIP = t.boolean("x_real_ip")
	l.RequestIDHeader = t.str("request_id_header")
}

// predicates reads an array of { name, match, value } tables.
func predicates(t *table, key string) []order.Predicate {
	items, paths := t.tables(key)
	var out []order.Predicate
	for i, v := range items {
		s := newTableReader(t.ps, v, paths[i])
		out = append(out, order.Predicate{Name: s.str("name"), Match: order.Match(s.str("match")), Value: s.str("value")})
		s.done()
	}
	return out
}

// headerEdits reads an array of { position, action, name, value } tables.
func headerEdits(t *table, key string) []order.HeaderEdit {
	items, paths := t.tables(key)
	var out []order.HeaderEdit
	for i, v := range items {
		s := newTableReader(t.ps, v, paths[i])
		out = append(out, order.HeaderEdit{Position: order.EditPosition(s.str("position")),
			Action: order.EditAction(s.str("action")), Name: s.str("name"), Value: s.str("value")})
		s.done()
	}
	return out
}

// find returns the value at a path below the table, as order fields name
// them ("match_headers[1].value", "redirect.status"), or nil.
func (t *table) find(path string) *value {
	v := t.v
	for seg := range strings.SplitSeq(path, ".") {
		name, index, hasIndex := strings.Cut(seg, "[")
		if v.kind != kTable {
			return nil
		}
		next, ok := v.fields[name]
		if !ok {
			return nil
		}
		v = next
		if hasIndex {
			n, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
			if err != nil || v.kind != kArray || n < 0 || n >= len(v.items) {
				return nil
			}
			v = v.items[n]
		}
	}
	return v
}
