package state_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// everyState is the state of ../config/testdata/every.toml, which sets
// every field of every object (config's TestEveryFieldReachable checks
// that it does).
func everyState(t *testing.T) state.State {
	t.Helper()
	cfg, err := config.Load("../config/testdata/every.toml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	s, _, err := state.New().WithClock(func() time.Time { return clock }).ApplyAll(cfg.Orders)
	if err != nil {
		t.Fatalf("the file's orders: %v", err)
	}
	return s
}

// keysOnly is s with every object cut down to its key and what an add
// needs (its target, its protocol), the certificates kept: the state an
// object has before an update sets the rest.
func keysOnly(t *testing.T, s state.State) state.State {
	t.Helper()
	d := s.Dump()
	m := order.State{Version: d.Version, Certificates: d.Certificates, TCPFrontends: d.TCPFrontends}
	for _, l := range d.Listeners {
		m.Listeners = append(m.Listeners, order.Listener{Protocol: l.Protocol, Address: l.Address, Active: l.Active})
	}
	for _, c := range d.Clusters {
		m.Clusters = append(m.Clusters, order.Cluster{ID: c.ID, Protocol: c.Protocol})
	}
	for _, b := range d.Backends {
		m.Backends = append(m.Backends, order.Backend{ClusterID: b.ClusterID, ID: b.ID, Address: b.Address})
	}
	cut := func(fs []order.HTTPFrontend) []order.HTTPFrontend {
		var out []order.HTTPFrontend
		for _, f := range fs {
			k := f.Key()
			k.ClusterID, k.Deny = f.ClusterID, f.Deny
			if k.ClusterID == "" && !k.Deny {
				k.Deny = true // a redirect frontend: any target will do
			}
			out = append(out, k)
		}
		return out
	}
	m.HTTPFrontends, m.HTTPSFrontends = cut(d.HTTPFrontends), cut(d.HTTPSFrontends)
	out, _, err := state.New().WithClock(func() time.Time { return clock }).ApplyAll(m.Orders())
	if err != nil {
		t.Fatalf("the keys-only state: %v", err)
	}
	return out
}

// TestEveryFieldSurvivesSavedState: a state with every field set goes
// through a saved state's JSON (decoded strictly, as the proxy reads it)
// and its orders, each valid on its own, and comes back equal, field for
// field (not only in JSON: a field JSON leaves out would be lost on both
// sides of a JSON comparison).
func TestEveryFieldSurvivesSavedState(t *testing.T) {
	s := everyState(t)
	d := s.Dump()
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back order.State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	orders := back.Orders()
	for i, o := range orders {
		if err := o.Validate(); err != nil {
			t.Fatalf("order %d (%s) of the saved state: %v", i, o.Kind(), err)
		}
	}
	again, _, err := state.New().WithClock(func() time.Time { return clock }).ApplyAll(orders)
	if err != nil {
		t.Fatalf("loading the saved state: %v", err)
	}
	if got := again.Dump(); !reflect.DeepEqual(got, d) {
		t.Errorf("the state changed through its saved form:\n got %+v\nwant %+v", got, d)
	}
}

// TestEveryFieldDiff: a reload reaches every field: the diff from a state
// whose objects have only their keys to the state with every field set,
// and back, and from and to random states, gives the target state.
func TestEveryFieldDiff(t *testing.T) {
	every := everyState(t)
	bare := keysOnly(t, every)
	checkEvery := func(name string, a, b state.State) {
		t.Helper()
		checkDiff(t, name, a, b)
		got, _, _ := a.ApplyAll(state.Diff(a, b))
		if !reflect.DeepEqual(got.Dump(), b.Dump()) {
			t.Fatalf("%s: apply(a, diff(a, b)) differs from b in a field JSON does not show", name)
		}
	}
	checkEvery("keys only to every field", bare, every)
	checkEvery("every field to keys only", every, bare)
	pems := certPool(t)
	for i := range 20 {
		r := rand.New(rand.NewPCG(uint64(i), 0xe7e7))
		random := randomState(r, pems, state.New().WithClock(func() time.Time { return clock }), 60)
		checkEvery(fmt.Sprintf("random %d to every field", i), random, every)
		checkEvery(fmt.Sprintf("every field to random %d", i), every, random)
	}
}
