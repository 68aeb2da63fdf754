package state

import (
	"fmt"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
)

// State is a proxy configuration. The zero value is not ready; use New.
type State struct {
	listeners map[string]order.Listener
	clusters  map[string]order.Cluster
	http      map[frontKey]order.HTTPFrontend // http and https frontends
	tcp       map[string]order.TCPFrontend    // by listener address
	backends  map[backendKey]order.Backend
	certs     map[string]map[string]storedCert // listener address -> fingerprint -> cert
	defaults  map[string]*cert.Cert            // listener address -> its parsed default certificate
}

type frontKey struct {
	address string
	rule    router.Key
}

type backendKey struct{ cluster, id string }

// New returns an empty State.
func New() *State {
	return &State{
		listeners: map[string]order.Listener{},
		clusters:  map[string]order.Cluster{},
		http:      map[frontKey]order.HTTPFrontend{},
		tcp:       map[string]order.TCPFrontend{},
		backends:  map[backendKey]order.Backend{},
		certs:     map[string]map[string]storedCert{},
		defaults:  map[string]*cert.Cert{},
	}
}

// Listener returns the listener on addr.
func (s *State) Listener(addr string) (order.Listener, bool) {
	l, ok := s.listeners[addr]
	return l, ok
}

// Cluster returns the cluster with the id.
func (s *State) Cluster(id string) (order.Cluster, bool) {
	c, ok := s.clusters[id]
	return c, ok
}

// Backend returns the backend of cluster with the id.
func (s *State) Backend(cluster, id string) (order.Backend, bool) {
	b, ok := s.backends[backendKey{cluster, id}]
	return b, ok
}

// Counts returns the number of listeners, active listeners, clusters,
// frontends and backends.
func (s *State) Counts() (listeners, active, clusters, frontends, backends int) {
	for _, l := range s.listeners {
		if l.Active {
			active++
		}
	}
	return len(s.listeners), active, len(s.clusters), len(s.http) + len(s.tcp), len(s.backends)
}

// Rule turns an http frontend into its routing rule with the given target.
func Rule[T any](f order.HTTPFrontend, target T) router.Rule[T] {
	pt, _ := router.ParsePathType(string(f.PathType))
	return router.Rule[T]{Hostname: f.Hostname, PathType: pt, Path: f.Path, Method: f.Method, Target: target}
}

func httpKey(f order.HTTPFrontend) frontKey {
	return frontKey{address: f.Address, rule: Rule(f, struct{}{}).Key()}
}

// checkRule validates the hostname, path and method of a frontend.
func checkRule(f order.HTTPFrontend) error {
	if _, err := router.New[struct{}]().Add(Rule(f, struct{}{})); err != nil {
		return &order.FieldError{Field: "frontend", Reason: err.Error()}
	}
	return nil
}

func errf(field, format string, args ...any) error {
	return &order.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
