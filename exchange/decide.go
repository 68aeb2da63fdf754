package exchange

import (
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/guard"
	"github.com/sluiceproxy/sluice/internal/cookie"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/listener"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/rewrite"
	"github.com/sluiceproxy/sluice/router"
)

// Facts are what a request's fate depends on. They are immutable
// snapshots (the listener's settings and routing table, a cluster's
// settings as the route's cluster holds them), so Decide is pure: the same
// facts give the same decision.
type Facts struct {
	Req      *Request
	Listener *listener.Settings
	Routes   *router.Table[*listener.Route]
	// Cert is the certificate served on a TLS connection; nil on plain
	// ones.
	Cert *cert.Cert
	// Challenges are the ACME HTTP-01 tokens in progress; nil without
	// ACME.
	Challenges Challenges
}

// Decision is a request's fate.
type Decision struct {
	// Status, when not 0, is the proxy's own answer: the request goes to
	// no backend.
	Status int
	// Challenge, with Status 200, is the key authorization answering an
	// ACME HTTP-01 validation request.
	Challenge string
	// Redirect is set with a 3xx Status: the answer redirects, by the
	// frontend's redirect (Rewrite.Redirect) or to https (the cluster's
	// https_redirect).
	Redirect bool
	// Rewrite is the matched frontend's rewrite policy (redirect, host and
	// path rewrites, header edits), or nil.
	Rewrite *rewrite.Frontend
	// Cluster is the matched cluster (nil when none matched), Settings the
	// snapshot of its settings the exchange keeps.
	Cluster  *backend.Cluster
	Settings *backend.Settings
	// H2 sends the request as a stream of an HTTP/2 connection (the
	// cluster's backend_protocol h2 or auto) instead of HTTP/1.1.
	H2 bool
	// Replayable requests may go out on a pooled connection and be sent
	// again, once, if it fails before any response byte (see replay.go).
	Replayable bool
	// Sticky is set when the cluster has sticky sessions; Cookie is then
	// the request's sticky cookie value (nil when it has none).
	Sticky bool
	Cookie []byte

	// Traffic policy (policy-guard): the route's basic auth and rate
	// limit, nil when it has none.
	Auth  *guard.Auth
	Limit *guard.Limiter
}

// Decide gives a request's fate. The rules, in order (docs/http.md lists
// them with their answers):
//
//  0. on a plain http listener, a GET or HEAD of
//     /.well-known/acme-challenge/TOKEN for a token the proxy's ACME
//     client presented: 200 with its key authorization, before any
//     route (an unknown token is routed as usual);
//  1. CONNECT: 501 (the proxy tunnels nothing by method);
//  2. more fields than the listener's max_header_fields: 431;
//  3. on TLS, a host the served certificate does not cover: 421;
//  4. no frontend for the host, path, method and conditions (header
//     fields, query): 404;
//  5. a deny frontend: 403;
//  6. a redirect frontend: its status (301, 302, 307 or 308);
//  7. a cluster with https_redirect, on a plain http listener: 301;
//  8. a declared body over the listener's max_body_bytes: 413;
//  9. a WebSocket of an HTTP/2 extended CONNECT (Request.BridgeWebSocket)
//     to a cluster of h2 backends without TLS: 501 (an h2c backend gets
//     no upgrade, and the HTTP/2 client would take its 2xx for an open
//     tunnel);
//  10. otherwise forward to the cluster, over HTTP/2 when its
//     backend_protocol is h2 or auto (an upgrade over TLS goes as
//     HTTP/1.1, with ALPN http/1.1), with the frontend's rewrites.
func Decide(f *Facts) Decision {
	req, set := f.Req, f.Listener
	if f.Challenges != nil {
		if ka, ok := challenge(f.Challenges, set.Proto, req); ok {
			return Decision{Status: 200, Challenge: ka}
		}
	}
	switch {
	case string(req.Method) == "CONNECT":
		return Decision{Status: 501}
	case len(req.Fields) > maxFields(set):
		return Decision{Status: 431}
	case f.Cert != nil && len(req.Host) > 0 && !f.Cert.CoversBytes(req.Host):
		return Decision{Status: 421}
	}
	rt, ok := f.Routes.Match(&router.Request{Host: req.Host, Path: req.Path, Method: req.Method,
		Query: req.Query(), Fields: req})
	if !ok {
		return Decision{Status: 404}
	}
	if rt.Deny {
		return Decision{Status: 403}
	}
	d := Decision{Cluster: rt.Cluster, Rewrite: rt.Rewrite, Auth: rt.Auth, Limit: rt.Limit}
	if rt.Cluster != nil {
		d.Settings = rt.Cluster.Settings()
	}
	if rw := rt.Rewrite; rw != nil && rw.Redirect != nil {
		d.Status, d.Redirect = rw.Redirect.Status, true
		return d
	}
	cs := d.Settings
	switch {
	case cs.HTTPSRedirect && set.Proto == "http":
		d.Status, d.Redirect = 301, true
		return d
	case set.MaxBodyBytes > 0 && req.ContentLength > set.MaxBodyBytes:
		d.Status = 413
		return d
	}
	if p := cs.Cluster.Speaks(); p != order.HTTP1 {
		tls := cs.Cluster.TLS != nil
		if !tls && req.BridgeWebSocket {
			d.Status = 501
			return d
		}
		d.H2 = !(tls && req.Upgrade != nil)
	}
	d.Replayable = Replayable(req)
	if cs.StickySession {
		d.Sticky = true
		d.Cookie = stickyCookie(req.Fields, set.CookieName())
	}
	return d
}

func maxFields(set *listener.Settings) int {
	if set.Limits.MaxHeaderFields > 0 {
		return set.Limits.MaxHeaderFields
	}
	return h1.DefaultMaxHeaderFields
}

// stickyCookie returns the value of the first cookie called name in the
// Cookie fields of hs, or nil. It allocates nothing.
func stickyCookie(hs []h1.Header, name string) []byte {
	for i := range hs {
		if hs[i].Kind == h1.HeaderCookie {
			if v := cookie.Value(hs[i].Value, name); v != nil {
				return v
			}
		}
	}
	return nil
}
