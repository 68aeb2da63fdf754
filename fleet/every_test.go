package fleet_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/state"
)

// TestEveryFieldThroughEtcd: a state with every field of every object
// set (../config/testdata/every.toml) comes back from its etcd keys
// (Encode, then Build, as sluice fleet push and the instances do) equal,
// field for field.
func TestEveryFieldThroughEtcd(t *testing.T) {
	cfg, err := config.Load("../config/testdata/every.toml")
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := state.New().ApplyAll(cfg.Orders)
	if err != nil {
		t.Fatal(err)
	}
	layout := fleet.NewLayout("/every/")
	kvs, err := fleet.Encode(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fleet.Build(layout, kvs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.State.Dump(), s.Dump(); !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("through etcd's keys:\n got %s\nwant %s", g, w)
	}
}
