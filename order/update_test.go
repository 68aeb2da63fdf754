package order_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

func decode(t *testing.T, line string) (order.Order, error) {
	t.Helper()
	var r order.Request
	err := json.Unmarshal([]byte(line), &r)
	return r.Order, err
}

// TestOptPresence: a key left out is absent, a key given is present, null
// included (it sets the zero value); absent fields are not encoded.
func TestOptPresence(t *testing.T) {
	o, err := decode(t, `{"kind":"update_cluster","order":{"id":"c","sticky_session":false,"health_check":null}}`)
	if err != nil {
		t.Fatal(err)
	}
	u := o.(order.UpdateCluster)
	if !u.StickySession.Set || u.StickySession.V || !u.HealthCheck.Set || u.HealthCheck.V != nil {
		t.Errorf("given fields: %+v %+v", u.StickySession, u.HealthCheck)
	}
	if u.LoadBalancing.Set || u.HTTP2.Set || u.Answers.Set || u.HSTS.Set {
		t.Errorf("fields not given are set: %+v", u)
	}
	b, _ := json.Marshal(order.UpdateBackend{ClusterID: "c", ID: "b", Weight: order.Some(7)})
	if string(b) != `{"cluster_id":"c","id":"b","weight":7}` {
		t.Errorf("encoded %s", b)
	}
	if _, err := decode(t, `{"kind":"update_cluster","order":{"id":"c","health_check":{"rise":2,"colour":1}}}`); err == nil ||
		!strings.Contains(err.Error(), "unknown field") {
		t.Errorf("unknown nested field: %v", err)
	}
}

// TestPatchChangesOnlyGivenFields: every field not given keeps its value.
func TestPatchChangesOnlyGivenFields(t *testing.T) {
	hc := &order.HealthCheck{Path: "/h"}
	c := order.Cluster{ID: "c", Protocol: order.HTTP, LoadBalancing: order.Random, StickySession: true,
		HealthCheck: hc, Answers: map[string]string{"503": "x"}}
	got := order.UpdateCluster{ID: "c", HTTPSRedirect: order.Some(true)}.Patch(c)
	want := c
	want.HTTPSRedirect = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cluster patch:\n got %+v\nwant %+v", got, want)
	}
	if got := (order.UpdateCluster{ID: "c", HealthCheck: order.Some[*order.HealthCheck](nil)}).Patch(c); got.HealthCheck != nil || !got.StickySession {
		t.Errorf("clearing the health check: %+v", got)
	}
	l := order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:80", Active: true, StickyName: "S",
		FrontTimeout: order.Duration(time.Minute)}
	gl := order.UpdateListener{Address: l.Address, BackTimeout: order.Some(order.Duration(time.Second))}.Patch(l)
	if gl.StickyName != "S" || gl.FrontTimeout != l.FrontTimeout || !gl.Active || gl.BackTimeout.D() != time.Second {
		t.Errorf("listener patch: %+v", gl)
	}
	// A frontend's basic auth and rate limit (policy-guard) are patched
	// like its rewrites: an update giving one keeps the target and the rest.
	f := order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.com", ClusterID: "c", RewritePath: "/v2$PATH",
		BasicAuth: &order.BasicAuth{Users: map[string]string{"alice": "$2a$04$x"}}}
	gf := order.UpdateHTTPFrontend{HTTPFrontend: f.Key(), RateLimit: order.Some(&order.RateLimit{Rate: 5})}.Patch(f)
	if gf.ClusterID != "c" || gf.RewritePath != f.RewritePath || gf.BasicAuth != f.BasicAuth || gf.RateLimit == nil || gf.RateLimit.Rate != 5 {
		t.Errorf("frontend patch: %+v", gf)
	}
	if gf := (order.UpdateHTTPFrontend{HTTPFrontend: f.Key(), BasicAuth: order.Some[*order.BasicAuth](nil)}).Patch(f); gf.BasicAuth != nil || gf.ClusterID != "c" {
		t.Errorf("removing the basic auth: %+v", gf)
	}
	b := order.Backend{ClusterID: "c", ID: "b", Address: "127.0.0.1:1", Weight: 10, Backup: true, StickyID: "s"}
	gb := order.UpdateBackend{ClusterID: "c", ID: "b", Weight: order.Some(20)}.Patch(b)
	if gb != (order.Backend{ClusterID: "c", ID: "b", Address: "127.0.0.1:1", Weight: 20, Backup: true, StickyID: "s"}) {
		t.Errorf("backend patch: %+v", gb)
	}
}

// TestUpdateValidate: the key, the syntax of the fields given, and at
// least one field.
func TestUpdateValidate(t *testing.T) {
	cases := []struct {
		o     order.Order
		field string
	}{
		{order.UpdateListener{Address: "127.0.0.1:80"}, "listener"},
		{order.UpdateListener{Address: "nohost", FrontTimeout: order.Some(order.Duration(1))}, "listener.address"},
		{order.UpdateListener{Address: "127.0.0.1:80", StickyName: order.Some("a b")}, "listener.sticky_name"},
		{order.UpdateListener{Address: "127.0.0.1:80", MaxHeadBytes: order.Some(1 << 30)}, "listener.max_head_bytes"},
		{order.UpdateListener{Address: "127.0.0.1:80", Answers: order.Some(map[string]string{"9999": "x"})}, "listener.answers"},
		{order.UpdateCluster{ID: "c"}, "cluster"},
		{order.UpdateCluster{ID: "c", LoadBalancing: order.Some(order.LoadBalancing("fastest"))}, "cluster.load_balancing"},
		{order.UpdateCluster{ID: "c", HealthCheck: order.Some(&order.HealthCheck{Type: "icmp"})}, "cluster.health_check.type"},
		{order.UpdateBackend{ClusterID: "c", ID: "b"}, "backend"},
		{order.UpdateBackend{ClusterID: "c", ID: "b", Weight: order.Some(0)}, "backend.weight"},
		{order.UpdateBackend{ClusterID: "c", ID: "b", Weight: order.Some(1001)}, "backend.weight"},
		{order.UpdateBackend{ClusterID: "c", ID: "b", Address: order.Some("x")}, "backend.address"},
		{order.UpdateHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.com"}}, "frontend.cluster_id"},
		{order.UpdateHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.com"},
			BasicAuth: order.Some(&order.BasicAuth{Users: map[string]string{"alice": "plain"}})}, "frontend.basic_auth.users.alice"},
		{order.UpdateHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.com"},
			RateLimit: order.Some(&order.RateLimit{})}, "frontend.rate_limit.rate"},
		{order.UpdateTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9"}}, "frontend.cluster_id"},
	}
	for _, c := range cases {
		var fe *order.FieldError
		if err := c.o.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s %+v: %v, want field %s", c.o.Kind(), c.o, err, c.field)
		}
	}
	if err := (order.UpdateBackend{ClusterID: "c", ID: "b", Backup: order.Some(false)}).Validate(); err != nil {
		t.Errorf("backup alone: %v", err)
	}
}

// TestWeightBound: one bound and one message for every way a weight is
// given; 0 written in JSON is refused, not read as the default.
func TestWeightBound(t *testing.T) {
	const msg = "backend.weight: 0 is outside 1..1000"
	if err := order.ValidateWeight("backend.weight", 0); err == nil || err.Error() != msg {
		t.Errorf("ValidateWeight(0) = %v", err)
	}
	if err := (order.UpdateBackend{ClusterID: "c", ID: "b", Weight: order.Some(0)}).Validate(); err == nil || err.Error() != msg {
		t.Errorf("update_backend weight 0: %v", err)
	}
	if _, err := decode(t, `{"kind":"add_backend","order":{"cluster_id":"c","id":"b","address":"127.0.0.1:1","weight":0}}`); err == nil ||
		!strings.Contains(err.Error(), msg) {
		t.Errorf("add_backend with weight 0 in JSON: %v", err)
	}
	o, err := decode(t, `{"kind":"add_backend","order":{"cluster_id":"c","id":"b","address":"127.0.0.1:1"}}`)
	if err != nil || o.(order.AddBackend).Weight != 0 || o.Validate() != nil {
		t.Errorf("add_backend without weight: %v %+v", err, o)
	}
	if _, err := decode(t, `{"kind":"add_backend","order":{"cluster_id":"c","id":"b","address":"127.0.0.1:1","wieght":5}}`); err == nil ||
		!strings.Contains(err.Error(), "unknown field") {
		t.Errorf("add_backend with an unknown field: %v", err)
	}
	if err := (order.AddBackend{Backend: order.Backend{ClusterID: "c", ID: "b", Address: "127.0.0.1:1", Weight: -3}}).Validate(); err == nil ||
		err.Error() != "backend.weight: -3 is outside 1..1000" {
		t.Errorf("negative weight: %v", err)
	}
}
