package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// KeyError is a refusal that one key's value caused.
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// Desired is the configuration that a set of keys describes.
type Desired struct {
	// Orders build it from an empty proxy (the target of a reload):
	// listeners (inactive), certificates, clusters, frontends, backends,
	// then the activations of the active listeners.
	Orders []order.Order
	// State is Orders applied to an empty State: checked as the proxy
	// checks orders (references, conflicts, certificates, templates).
	State state.State
}

// Build turns the keys and values under l.State() into the configuration
// they describe. Keys elsewhere are ignored. A bad value (JSON that does
// not decode into its kind, an unknown field, a key and value that name
// different objects, a frontend of a missing listener, an order the
// proxy would refuse, such as a frontend to a missing cluster) gives a
// *KeyError naming its key, and no configuration: the caller keeps the one
// it has. No key at all is refused too (a *KeyError on the prefix): a
// wrong prefix or an etcd wiped by mistake must not empty every instance. Build is pure and deterministic (keys are taken sorted).
func Build(l Layout, kvs map[string][]byte) (Desired, error) {
	keys := make([]string, 0, len(kvs))
	for k := range kvs {
		if strings.HasPrefix(k, l.State()) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return Desired{}, &KeyError{Key: l.State(), Err: errors.New("no configuration under the prefix " +
			"(a new fleet, or a wrong prefix?): refused, so that it empties no instance; write one with sluice fleet push")}
	}
	var (
		listeners, certs, clusters, fronts, backends, activate []keyed
		protocols                                              = map[string]order.Protocol{}
	)
	parsed := make(map[string]Kind, len(keys))
	ids := make(map[string]string, len(keys))
	for _, k := range keys {
		kind, id, err := l.Parse(k)
		if err != nil {
			return Desired{}, &KeyError{Key: k, Err: errors.New(strings.TrimPrefix(err.Error(), fmt.Sprintf("key %q: ", k)))}
		}
		parsed[k], ids[k] = kind, id
		if kind != Listeners {
			continue
		}
		var v order.Listener
		if err := decode(kvs[k], &v); err != nil {
			return Desired{}, &KeyError{Key: k, Err: err}
		}
		if v.Address == "" {
			v.Address = id
		} else if v.Address != id {
			return Desired{}, &KeyError{Key: k, Err: fmt.Errorf("the value's address %q is not the key's %q", v.Address, id)}
		}
		protocols[v.Address] = v.Protocol
		if v.Active {
			activate = append(activate, keyed{k, order.ActivateListener{Address: v.Address}})
		}
		v.Active = false
		listeners = append(listeners, keyed{k, order.AddListener{Listener: v}})
	}
	for _, k := range keys {
		var o order.Order
		var err error
		switch id := ids[k]; parsed[k] {
		case Listeners:
			continue
		case Clusters:
			o, err = buildCluster(kvs[k], id)
			clusters = append(clusters, keyed{k, o})
		case Frontends:
			o, err = buildFrontend(kvs[k], protocols)
			fronts = append(fronts, keyed{k, o})
		case Backends:
			o, err = buildBackend(kvs[k], id)
			backends = append(backends, keyed{k, o})
		case Certificates:
			var v order.AddCertificate
			err = decode(kvs[k], &v)
			certs = append(certs, keyed{k, v})
		}
		if err != nil {
			return Desired{}, &KeyError{Key: k, Err: err}
		}
	}
	all := slices.Concat(listeners, certs, clusters, fronts, backends, activate)
	orders := make([]order.Order, len(all))
	for i, o := range all {
		orders[i] = o.o
	}
	s, _, err := state.New().ApplyAll(orders)
	if err != nil {
		var be *state.BatchError
		if errors.As(err, &be) {
			return Desired{}, &KeyError{Key: all[be.Index-1].key, Err: fmt.Errorf("%s: %w", be.Kind, be.Err)}
		}
		return Desired{}, err
	}
	return Desired{Orders: orders, State: s}, nil
}

type keyed struct {
	key string
	o   order.Order
}

func buildCluster(v []byte, id string) (order.Order, error) {
	var c order.Cluster
	if err := decode(v, &c); err != nil {
		return nil, err
	}
	if c.ID == "" {
		c.ID = id
	} else if c.ID != id {
		return nil, fmt.Errorf("the value's id %q is not the key's %q", c.ID, id)
	}
	return order.AddCluster{Cluster: c}, nil
}

func buildBackend(v []byte, id string) (order.Order, error) {
	var b order.Backend
	if err := decode(v, &b); err != nil {
		return nil, err
	}
	cluster, bid, _ := strings.Cut(id, "/")
	if b.ClusterID == "" {
		b.ClusterID = cluster
	}
	if b.ID == "" {
		b.ID = bid
	}
	if b.ClusterID != cluster || b.ID != bid {
		return nil, fmt.Errorf("the value's backend %s/%s is not the key's %s", b.ClusterID, b.ID, id)
	}
	return order.AddBackend{Backend: b}, nil
}

// buildFrontend decodes a frontend as its listener's protocol says.
func buildFrontend(v []byte, protocols map[string]order.Protocol) (order.Order, error) {
	var head struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(v, &head); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	p, ok := protocols[head.Address]
	if !ok {
		return nil, fmt.Errorf("no listener on %q (a key listeners/%s)", head.Address, head.Address)
	}
	switch p {
	case order.TCP:
		var f order.TCPFrontend
		err := decode(v, &f)
		return order.AddTCPFrontend{TCPFrontend: f}, err
	case order.HTTPS:
		var f order.HTTPFrontend
		err := decode(v, &f)
		return order.AddHTTPSFrontend{HTTPFrontend: f}, err
	default:
		var f order.HTTPFrontend
		err := decode(v, &f)
		return order.AddHTTPFrontend{HTTPFrontend: f}, err
	}
}

// decode reads one JSON object into v, refusing unknown fields and
// anything after the object.
func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if d.More() {
		return errors.New("invalid JSON: more than one value")
	}
	return nil
}
