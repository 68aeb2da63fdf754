package config

import (
	"testing"

	"github.com/sluiceproxy/sluice/internal/fieldset"
	"github.com/sluiceproxy/sluice/state"
)

// notInState are the order fields no loaded state sets, and why.
var notInState = map[string]string{
	"Cluster.HTTP2":        "the earlier spelling of backend_protocol h2: a state holds backend_protocol",
	"Listener.Certificate": "the default certificate is one of the listener's certificates, marked default",
	"State.KeysOmitted":    "marks a dump printed without keys, which no loaded file is",
}

// everyState loads testdata/every.toml, which sets every key of every
// object, into a state.
func everyState(t *testing.T) state.State {
	t.Helper()
	cfg, err := Load("testdata/every.toml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	s := state.New()
	for i, o := range cfg.Orders {
		if s, _, err = s.Apply(o); err != nil {
			t.Fatalf("order %d (%s): %v", i, o.Kind(), err)
		}
	}
	return s
}

// TestEveryFieldReachable: every field of every object of a state is set
// by some key of testdata/every.toml, but those notInState names. A field
// added to an order without a configuration key fails here.
func TestEveryFieldReachable(t *testing.T) {
	d := everyState(t).Dump()
	for _, name := range fieldset.Unset(d) {
		if _, ok := notInState[name]; !ok {
			t.Errorf("%s: no key of testdata/every.toml sets it (add the key, or the reason to notInState)", name)
		}
	}
}
