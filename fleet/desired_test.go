package fleet

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

var testLayout = NewLayout("/t")

// goodKVs is a small fleet: an http listener with two frontends, a tcp
// listener with its default route, two clusters and three backends.
func goodKVs() map[string][]byte {
	return map[string][]byte{
		"/t/state/listeners/127.0.0.1:8080": []byte(`{"protocol":"http","active":true}`),
		"/t/state/listeners/127.0.0.1:9000": []byte(`{"protocol":"tcp","address":"127.0.0.1:9000"}`),
		"/t/state/clusters/shop":            []byte(`{"load_balancing":"round_robin"}`),
		"/t/state/clusters/db":              []byte(`{"id":"db","protocol":"tcp"}`),
		"/t/state/frontends/www":            []byte(`{"address":"127.0.0.1:8080","hostname":"www.example.com","cluster_id":"shop"}`),
		"/t/state/frontends/api":            []byte(`{"address":"127.0.0.1:8080","hostname":"api.example.com","path":"/v1","cluster_id":"shop"}`),
		"/t/state/frontends/db":             []byte(`{"address":"127.0.0.1:9000","cluster_id":"db"}`),
		"/t/state/backends/shop/s1":         []byte(`{"address":"127.0.0.1:7001"}`),
		"/t/state/backends/shop/s2":         []byte(`{"address":"127.0.0.1:7002","weight":50}`),
		"/t/state/backends/db/d1":           []byte(`{"cluster_id":"db","id":"d1","address":"127.0.0.1:7003"}`),
		"/t/instances/a":                    []byte(`not a state key: ignored`),
	}
}

func TestBuildGood(t *testing.T) {
	d, err := Build(testLayout, goodKVs())
	if err != nil {
		t.Fatal(err)
	}
	ls, active, cs, fs, bs := d.State.Counts()
	if ls != 2 || active != 1 || cs != 2 || fs != 3 || bs != 3 {
		t.Fatalf("counts %d %d %d %d %d", ls, active, cs, fs, bs)
	}
	if b, _ := d.State.Backend("shop", "s2"); b.Weight != 50 || b.Address != "127.0.0.1:7002" {
		t.Fatalf("backend %+v", b)
	}
	if _, ok := d.Orders[len(d.Orders)-1].(order.ActivateListener); !ok {
		t.Fatalf("last order %T, want the activation", d.Orders[len(d.Orders)-1])
	}
	// The orders are a reload's target: a proxy's reload builds the same.
	again, _, err := state.New().ApplyAll(d.Orders)
	if err != nil || !reflect.DeepEqual(again.Dump(), d.State.Dump()) {
		t.Fatalf("orders do not rebuild the state: %v", err)
	}
}

// TestBuildRefuses: each bad value is refused with its key named and a
// reason a user can act on.
func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		want             []string // in the error
	}{
		{"invalid JSON", "/t/state/clusters/shop", `{"load_balancing":`, []string{"/t/state/clusters/shop", "invalid JSON"}},
		{"unknown field", "/t/state/backends/shop/s1", `{"adress":"127.0.0.1:1"}`, []string{"backends/shop/s1", `unknown field "adress"`}},
		{"two values", "/t/state/clusters/shop", `{} {}`, []string{"more than one value"}},
		{"frontend to a missing cluster", "/t/state/frontends/www", `{"address":"127.0.0.1:8080","hostname":"www.example.com","cluster_id":"nope"}`,
			[]string{"/t/state/frontends/www", "add_http_frontend", "nope"}},
		{"frontend of a missing listener", "/t/state/frontends/www", `{"address":"127.0.0.1:1","hostname":"x","cluster_id":"shop"}`,
			[]string{"/t/state/frontends/www", `no listener on "127.0.0.1:1"`}},
		{"backend of a missing cluster", "/t/state/backends/gone/b", `{"address":"127.0.0.1:1"}`, []string{"backends/gone/b", "add_backend"}},
		{"key and value disagree", "/t/state/clusters/shop", `{"id":"other"}`, []string{`the value's id "other" is not the key's "shop"`}},
		{"listener key and value disagree", "/t/state/listeners/127.0.0.1:8080", `{"protocol":"http","address":"127.0.0.1:1"}`, []string{"is not the key's"}},
		{"backend key and value disagree", "/t/state/backends/shop/s1", `{"cluster_id":"db","address":"127.0.0.1:1"}`, []string{"is not the key's shop/s1"}},
		{"unknown kind", "/t/state/routes/x", `{}`, []string{`unknown kind "routes"`}},
		{"backend key without id", "/t/state/backends/shop", `{}`, []string{"backends/CLUSTER/ID"}},
		{"bad field", "/t/state/backends/shop/s1", `{"address":"127.0.0.1:7001","weight":5000}`, []string{"weight"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kvs := goodKVs()
			kvs[tc.key] = []byte(tc.value)
			_, err := Build(testLayout, kvs)
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tc.key {
				t.Fatalf("error %v, want a KeyError on %s", err, tc.key)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestEncodeBuildRoundTrip: what Encode writes, Build reads back as the
// same configuration, under readable frontend names.
func TestEncodeBuildRoundTrip(t *testing.T) {
	d, err := Build(testLayout, goodKVs())
	if err != nil {
		t.Fatal(err)
	}
	extra := []order.Order{
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:8080", Hostname: "www.example.com",
			Path: "/exact", PathType: order.Equals, Method: "GET", ClusterID: "shop"}},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:8080", Hostname: "www.example.com",
			Path: "/exact", PathType: order.Equals, Method: "GET", ClusterID: "shop",
			MatchHeaders: []order.Predicate{{Name: "x-canary", Match: "exact", Value: "1"}}}},
	}
	s, _, err := d.State.ApplyAll(extra)
	if err != nil {
		t.Fatal(err)
	}
	kvs, err := Encode(testLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"/t/state/frontends/127.0.0.1:9000/default", "/t/state/frontends/127.0.0.1:8080/api.example.com /v1",
		"/t/state/frontends/127.0.0.1:8080/www.example.com =/exact GET", "/t/state/frontends/127.0.0.1:8080/www.example.com =/exact GET#2",
		"/t/state/backends/shop/s2", "/t/state/listeners/127.0.0.1:8080"} {
		if kvs[k] == nil {
			t.Errorf("no key %q", k)
		}
	}
	back, err := Build(testLayout, kvs)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(s.Dump())
	b, _ := json.Marshal(back.State.Dump())
	if string(a) != string(b) {
		t.Fatalf("round trip differs:\n%s\n%s", a, b)
	}
}

func TestParseKey(t *testing.T) {
	l := NewLayout("") // the default prefix
	k, id, err := l.Parse(l.Key(Backends, "shop/s1"))
	if err != nil || k != Backends || id != "shop/s1" {
		t.Fatalf("%v %v %v", k, id, err)
	}
	if _, _, err := l.Parse("/elsewhere/state/clusters/x"); err == nil {
		t.Fatal("a key outside the prefix parsed")
	}
	if k, err := ParseKind("frontend"); err != nil || k != Frontends {
		t.Fatalf("%v %v", k, err)
	}
}

// FuzzBuild: no value makes Build panic, and what it accepts rebuilds.
func FuzzBuild(f *testing.F) {
	f.Add("clusters/shop", `{"load_balancing":"random"}`)
	f.Add("frontends/x", `{"address":"127.0.0.1:8080","hostname":"a","cluster_id":"shop"}`)
	f.Add("backends/shop/b", `{"address":"[::1]:80","weight":1}`)
	f.Add("listeners/127.0.0.1:1", `{"protocol":"https"}`)
	f.Add("certificates/c", `{"address":"127.0.0.1:8080","certificate":{"certificate":"x","key":"y"}}`)
	f.Fuzz(func(t *testing.T, key, value string) {
		kvs := goodKVs()
		kvs[testLayout.State()+key] = []byte(value)
		d, err := Build(testLayout, kvs)
		if err != nil {
			return
		}
		if _, _, err := state.New().ApplyAll(d.Orders); err != nil {
			t.Fatalf("accepted orders do not apply: %v", err)
		}
	})
}

func TestBuildRefusesNothing(t *testing.T) {
	_, err := Build(testLayout, map[string][]byte{"/t/instances/a": []byte("{}")})
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != testLayout.State() || !strings.Contains(err.Error(), "no configuration under the prefix") {
		t.Fatalf("%v", err)
	}
}
