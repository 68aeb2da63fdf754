package fleet

import (
	"fmt"
	"strings"
)

// Kind is a kind of object of the key layout.
type Kind string

// The kinds of object, each kept under its own folder of the prefix:
//
//	PREFIX/state/listeners/ADDRESS        an order.Listener
//	PREFIX/state/clusters/ID              an order.Cluster
//	PREFIX/state/frontends/NAME           an order.HTTPFrontend or order.TCPFrontend
//	PREFIX/state/backends/CLUSTER/ID      an order.Backend
//	PREFIX/state/certificates/NAME        an order.AddCertificate
//	PREFIX/instances/ID                   an Instance, under its lease
//	PREFIX/meta/written                   who wrote last with sluice fleet
//
// The values are JSON in the shape of the socket's add_* orders (see
// docs/command-protocol.md). A listener's address, a cluster's id and a
// backend's cluster and id may be left out of the value: the key gives
// them (a value that names others is refused). A frontend's name is free
// (the operator's); whether it is an http, https or tcp frontend follows
// from its listener's protocol.
const (
	Listeners    Kind = "listeners"
	Clusters     Kind = "clusters"
	Frontends    Kind = "frontends"
	Backends     Kind = "backends"
	Certificates Kind = "certificates"
)

// Kinds are the kinds of object, in the order their keys are built.
var Kinds = []Kind{Listeners, Clusters, Frontends, Backends, Certificates}

// ParseKind accepts a kind by its name, singular or plural.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if s == string(k) || s+"s" == string(k) {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown kind %q: one of listener, cluster, frontend, backend, certificate", s)
}

// Layout is the key layout under one prefix.
type Layout struct {
	// Prefix ends with "/"; NewLayout adds it.
	Prefix string
}

// DefaultPrefix is the prefix when the configuration names none.
const DefaultPrefix = "/sluice/"

// NewLayout returns the layout under prefix (DefaultPrefix when empty).
func NewLayout(prefix string) Layout {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return Layout{Prefix: prefix}
}

// State is the prefix of every object's key: the one the instances watch.
func (l Layout) State() string { return l.Prefix + "state/" }

// Instances is the prefix of the instances' records.
func (l Layout) Instances() string { return l.Prefix + "instances/" }

// Instance is the key of one instance's record.
func (l Layout) Instance(id string) string { return l.Instances() + id }

// Written is the key every sluice fleet write changes, so that a
// compare-and-swap sees deletions too.
func (l Layout) Written() string { return l.Prefix + "meta/written" }

// Key returns the key of an object: id is a listener's address, a
// cluster's id, a frontend's or certificate's name, or "CLUSTER/ID" for a
// backend.
func (l Layout) Key(k Kind, id string) string { return l.State() + string(k) + "/" + id }

// Parse splits a key under State into its kind and id.
func (l Layout) Parse(key string) (Kind, string, error) {
	rest, ok := strings.CutPrefix(key, l.State())
	if !ok {
		return "", "", fmt.Errorf("key %q: not under %s", key, l.State())
	}
	kind, id, _ := strings.Cut(rest, "/")
	k, err := ParseKind(kind)
	if err != nil || k != Kind(kind) {
		return "", "", fmt.Errorf("key %q: unknown kind %q (listeners, clusters, frontends, backends, certificates)", key, kind)
	}
	if id == "" {
		return "", "", fmt.Errorf("key %q: no id after the kind", key)
	}
	if k == Backends {
		if c, b, ok := strings.Cut(id, "/"); !ok || c == "" || b == "" || strings.Contains(b, "/") {
			return "", "", fmt.Errorf("key %q: a backend's key is backends/CLUSTER/ID", key)
		}
	}
	return k, id, nil
}
