package state

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
)

// State is a proxy configuration, an immutable value: Apply returns the
// next State and never changes the one it is called on, so a State may be
// kept, compared and shared across goroutines. Copies share structure
// (see pmap); making the next State costs about a 64th of the largest
// collection it changes. The zero State is empty and ready to use.
type State struct {
	listeners pmap[string, order.Listener] // stored without Certificate
	clusters  pmap[string, order.Cluster]
	http      pmap[frontKey, order.HTTPFrontend] // http and https frontends
	tcp       pmap[tcpKey, order.TCPFrontend]    // by listener address and hostname
	backends  pmap[backendKey, order.Backend]
	certs     pmap[string, pmap[string, storedCert]] // listener address -> fingerprint -> cert
	now       func() time.Time                       // nil: time.Now
}

type frontKey struct {
	address string
	rule    router.Key
}

type backendKey struct{ cluster, id string }

// New returns an empty State (the zero State).
func New() State { return State{} }

// WithClock returns s checking certificate validity at now() instead of
// the current time: the one input of Apply besides the order.
func (s State) WithClock(now func() time.Time) State {
	s.now = now
	return s
}

func (s State) time() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// Listener returns the listener on addr.
func (s State) Listener(addr string) (order.Listener, bool) { return s.listeners.get(addr) }

// Cluster returns the cluster with the id.
func (s State) Cluster(id string) (order.Cluster, bool) { return s.clusters.get(id) }

// Backend returns the backend of cluster with the id.
func (s State) Backend(cluster, id string) (order.Backend, bool) {
	return s.backends.get(backendKey{cluster, id})
}

// HTTPFrontend returns the stored frontend with the same key as f.
func (s State) HTTPFrontend(f order.HTTPFrontend) (order.HTTPFrontend, bool) {
	return s.http.get(httpKey(normalize(f)))
}

// Counts returns the number of listeners, active listeners, clusters,
// frontends and backends.
func (s State) Counts() (listeners, active, clusters, frontends, backends int) {
	for _, l := range s.listeners.all {
		if l.Active {
			active++
		}
	}
	return s.listeners.len(), active, s.clusters.len(), s.http.len() + s.tcp.len(), s.backends.len()
}

// ServedCerts returns the parsed certificates attached to the listener on
// addr, sorted by fingerprint, the default one included, and the default
// one again (nil when it has none): what its cert.Index is built from.
func (s State) ServedCerts(addr string) (certs []*cert.Cert, def *cert.Cert) {
	set, _ := s.certs.get(addr)
	for _, fp := range sortedKeys(set) {
		c, _ := set.get(fp)
		certs = append(certs, c.parsed)
		if c.order.Default {
			def = c.parsed
		}
	}
	return certs, def
}

// Rule turns an http frontend into its routing rule with the given target.
func Rule[T any](f order.HTTPFrontend, target T) router.Rule[T] {
	pt, _ := router.ParsePathType(string(f.PathType))
	return router.Rule[T]{Hostname: f.Hostname, PathType: pt, Path: f.Path, Method: f.Method, Target: target,
		Position: position(f.Position), Headers: predicates(f.MatchHeaders), Query: predicates(f.MatchQuery)}
}

func httpKey(f order.HTTPFrontend) frontKey {
	return frontKey{address: f.Address, rule: Rule(f, struct{}{}).Key()}
}

// normalize applies a frontend's defaults and normalises its hostname, so
// that equal frontends compare equal.
func normalize(f order.HTTPFrontend) order.HTTPFrontend {
	if f.PathType == "" {
		f.PathType = order.Prefix
	}
	if h, err := router.NormalizeHostname(f.Hostname); err == nil {
		f.Hostname = h
	}
	return normRoute(f)
}

// checkRule validates the hostname, path, method, position and
// conditions of a frontend.
func checkRule(f order.HTTPFrontend) error {
	if _, err := router.New[struct{}]().Add(Rule(f, struct{}{})); err != nil {
		field := "frontend"
		var re *router.RuleError
		if errors.As(err, &re) {
			switch re.Field { // the key at fault: config check reports it there
			case "hostname", "path", "method":
				field = "frontend." + re.Field
			case "header":
				field = "frontend.match_headers"
			case "query":
				field = "frontend.match_query"
			case "position":
				field = "frontend.position"
			}
		}
		return &order.FieldError{Field: field, Reason: err.Error()}
	}
	return nil
}

func errf(field, format string, args ...any) error {
	return &order.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
