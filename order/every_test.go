package order_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/order"
)

// notUpdated are the settings of an object no update order changes, and
// why (each said in the update order's doc comment).
var notUpdated = map[string]string{
	"Listener.Protocol":      "remove the listener and add it again",
	"Listener.Active":        "activate_listener and deactivate_listener",
	"Listener.Certificate":   "the default certificate is a certificate: add_certificate, replace_certificate",
	"Cluster.Protocol":       "remove the cluster and add it again",
	"Cluster.HTTP2":          "the earlier spelling of backend_protocol h2: update_cluster's http2 sets backend_protocol",
	"HTTPFrontend.Deny":      "the target: given by the embedded frontend, with ClusterID",
	"HTTPFrontend.ClusterID": "the target: given by the embedded frontend, with Deny",
}

// leaves returns the fields of struct type t by name, the fields of
// embedded structs included.
func leaves(t reflect.Type, into map[string][]int, at []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		idx := append(append([]int(nil), at...), i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			leaves(f.Type, into, idx)
			continue
		}
		into[f.Name] = idx
	}
}

// isOpt reports an order.Opt field type.
func isOpt(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.PkgPath() == "github.com/sluiceproxy/sluice/order" &&
		strings.HasPrefix(t.Name(), "Opt[")
}

// checkUpdate checks update type U against object type X: every setting
// of X but its key and notUpdated has a field of U by the same name; and,
// taking an object of objs that sets it, U with only that field patches
// the object's bare key into the key with that setting, and the object
// into the object without it, changing nothing else.
func checkUpdate[X any, U any](t *testing.T, key []string, objs []X, keyed func(X) U, patch func(U, X) X) {
	t.Helper()
	xt, ut := reflect.TypeFor[X](), reflect.TypeFor[U]()
	xf, uf := map[string][]int{}, map[string][]int{}
	leaves(xt, xf, nil)
	leaves(ut, uf, nil)
	isKey := map[string]bool{}
	for _, k := range key {
		isKey[k] = true
	}
	for name, xi := range xf {
		if isKey[name] {
			continue
		}
		if _, ok := notUpdated[xt.Name()+"."+name]; ok {
			continue
		}
		ui, ok := uf[name]
		if !ok || !isOpt(ut.FieldByIndex(ui).Type) {
			t.Errorf("%s.%s: %s has no Opt field %s (add it, or the reason to notUpdated)", xt.Name(), name, ut.Name(), name)
			continue
		}
		var full reflect.Value
		for _, o := range objs {
			if v := reflect.ValueOf(o); !v.FieldByIndex(xi).IsZero() {
				full = v
				break
			}
		}
		if !full.IsValid() {
			t.Errorf("%s.%s: no object of every.toml sets it", xt.Name(), name)
			continue
		}
		var bare X
		for _, k := range key {
			reflect.ValueOf(&bare).Elem().FieldByIndex(xf[k]).Set(full.FieldByIndex(xf[k]))
		}
		value := full.FieldByIndex(xi)
		u := keyed(bare)
		opt := reflect.ValueOf(&u).Elem().FieldByIndex(ui)
		opt.FieldByName("Set").SetBool(true)
		opt.FieldByName("V").Set(value)
		want := bare
		reflect.ValueOf(&want).Elem().FieldByIndex(xi).Set(value)
		if got := patch(u, bare); !reflect.DeepEqual(got, want) {
			t.Errorf("%s.%s given alone: patched %+v\nwant %+v", ut.Name(), name, got, want)
		}
		// Validate counts it as a setting given (its list of settings
		// names every field).
		if v, ok := any(u).(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil && (strings.Contains(err.Error(), "no setting given") ||
				strings.Contains(err.Error(), "an update gives a cluster_id, deny or a setting")) {
				t.Errorf("%s.%s given alone: %v", ut.Name(), name, err)
			}
		}
		// And back: the zero value given alone clears that setting of the
		// object that has it, and keeps the others it has.
		opt.FieldByName("V").Set(reflect.Zero(value.Type()))
		whole := full.Interface().(X)
		want = whole
		reflect.ValueOf(&want).Elem().FieldByIndex(xi).Set(reflect.Zero(value.Type()))
		if got := patch(u, whole); !reflect.DeepEqual(got, want) {
			t.Errorf("%s.%s cleared alone: patched %+v\nwant %+v", ut.Name(), name, got, want)
		}
	}
}

// TestUpdatesReachEveryField: an update order can change every setting
// of every object (those of ../config/testdata/every.toml, which set them
// all), and changes only the one it gives.
func TestUpdatesReachEveryField(t *testing.T) {
	cfg, err := config.Load("../config/testdata/every.toml")
	if err != nil {
		t.Fatal(err)
	}
	var listeners []order.Listener
	var clusters []order.Cluster
	var backends []order.Backend
	var fronts []order.HTTPFrontend
	for _, o := range cfg.Orders {
		switch o := o.(type) {
		case order.AddListener:
			listeners = append(listeners, o.Listener)
		case order.AddCluster:
			clusters = append(clusters, o.Cluster)
		case order.AddBackend:
			backends = append(backends, o.Backend)
		case order.AddHTTPFrontend:
			fronts = append(fronts, o.HTTPFrontend)
		case order.AddHTTPSFrontend:
			fronts = append(fronts, o.HTTPFrontend)
		}
	}
	checkUpdate(t, []string{"Address"}, listeners,
		func(l order.Listener) order.UpdateListener { return order.UpdateListener{Address: l.Address} },
		order.UpdateListener.Patch)
	checkUpdate(t, []string{"ID"}, clusters,
		func(c order.Cluster) order.UpdateCluster { return order.UpdateCluster{ID: c.ID} },
		order.UpdateCluster.Patch)
	checkUpdate(t, []string{"ClusterID", "ID"}, backends,
		func(b order.Backend) order.UpdateBackend {
			return order.UpdateBackend{ClusterID: b.ClusterID, ID: b.ID}
		},
		order.UpdateBackend.Patch)
	checkUpdate(t, []string{"Address", "Hostname", "Path", "PathType", "Method", "Position", "MatchHeaders", "MatchQuery"},
		fronts,
		func(f order.HTTPFrontend) order.UpdateHTTPFrontend {
			return order.UpdateHTTPFrontend{HTTPFrontend: f.Key()}
		},
		order.UpdateHTTPFrontend.Patch)
}
