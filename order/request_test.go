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

// TestRequestJSONRoundTrip encodes one request of every kind and decodes it
// back to an equal value.
func TestRequestJSONRoundTrip(t *testing.T) {
	orders := []order.Order{
		order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:80", Active: true,
			FrontTimeout: order.Duration(90 * time.Second), Answers: map[string]string{"404": "<p>%REQUEST_ID</p>"}}},
		order.RemoveListener{Address: "127.0.0.1:80"},
		order.ActivateListener{Address: "127.0.0.1:80"},
		order.DeactivateListener{Address: "127.0.0.1:80"},
		order.AddCluster{Cluster: order.Cluster{ID: "c", LoadBalancing: order.PowerOfTwo, StickySession: true,
			HealthCheck: &order.HealthCheck{Path: "/h", ExpectedStatus: 204, Interval: order.Duration(time.Second), Rise: 1, Fall: 5}}},
		order.RemoveCluster{ID: "c"},
		order.AddHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "*.a.com", Path: "^/x$", PathType: order.Regex, Method: "GET", ClusterID: "c"}},
		order.RemoveHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.com"}},
		order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:443", Hostname: "a.com", Deny: true}},
		order.RemoveHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:443", Hostname: "a.com"}},
		order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9", ClusterID: "t"}},
		order.RemoveTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9"}},
		order.AddBackend{Backend: order.Backend{ClusterID: "c", ID: "b", Address: "127.0.0.1:1", Weight: 3, Backup: true}},
		order.RemoveBackend{ClusterID: "c", ID: "b"},
		order.AddCertificate{Address: "127.0.0.1:443", Certificate: order.CertificateAndKey{Certificate: "C", Key: "K", Chain: []string{"X"}}},
		order.ReplaceCertificate{Address: "127.0.0.1:443", OldFingerprint: "ab", Certificate: order.CertificateAndKey{Certificate: "C", Key: "K"}},
		order.RemoveCertificate{Address: "127.0.0.1:443", Fingerprint: "ab"},
		order.ListListeners{}, order.ListClusters{}, order.ListFrontends{},
		order.ListBackends{ClusterID: "c"}, order.ListCertificates{}, order.Status{}, order.DumpState{},
		order.SaveState{Path: "s.json"}, order.LoadState{Path: "s.json"}, order.Shutdown{Hard: true},
		order.SetLogLevel{Level: "debug"}, order.SubscribeEvents{}, order.Metrics{ClusterID: "c", BackendID: "b"},
		order.Upgrade{Binary: "/usr/bin/sluice", Timeout: order.Duration(30 * time.Second)},
		order.UpdateListener{Address: "127.0.0.1:80", FrontTimeout: order.Some(order.Duration(time.Minute)),
			Answers: order.Some(map[string]string{"503": "x"}), HSTS: order.Some[*order.HSTS](nil)},
		order.UpdateCluster{ID: "c", StickySession: order.Some(false), HealthCheck: order.Some(&order.HealthCheck{Rise: 2})},
		order.UpdateBackend{ClusterID: "c", ID: "b", Weight: order.Some(5), Backup: order.Some(false)},
		order.UpdateHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:80", Hostname: "a.com", ClusterID: "d"}},
		order.UpdateHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: "127.0.0.1:443", Hostname: "a.com", Deny: true}},
		order.UpdateTCPFrontend{TCPFrontend: order.TCPFrontend{Address: "127.0.0.1:9", ClusterID: "u"}},
		order.AddCertificate{Address: "127.0.0.1:443", Certificate: order.CertificateAndKey{Certificate: "C", Key: "K"}, Default: true},
		order.Reload{DryRun: true, Target: order.Requests([]order.Order{
			order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: "127.0.0.1:80"}},
			order.AddCluster{Cluster: order.Cluster{ID: "c"}}})},
	}
	seen := map[order.Kind]bool{}
	for i, o := range orders {
		req := order.Request{ID: "id-" + string(o.Kind()), Order: o}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		var back order.Request
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(back, req) {
			t.Errorf("round trip of %s:\n got %#v\nwant %#v", b, back, req)
		}
		seen[o.Kind()] = true
	}
	for _, k := range order.Kinds() {
		if !seen[k] {
			t.Errorf("kind %s is not covered by this test", k)
		}
	}
}

func TestRequestJSONErrors(t *testing.T) {
	cases := map[string]string{
		`{"id":"1","kind":"explode"}`: `unknown order "explode"`,
		`{"id":"1"}`:                  "kind: missing",
		`{"id":"1","kind":"add_cluster","order":{"id":"c","colour":"red"}}`: "unknown field",
		`{"id":"1","kind":"add_cluster","order":{"id":7}}`:                  "cannot unmarshal",
		`{"id":"1","kind":"add_cluster","extra":1}`:                         "unknown field",
		`not json`: "invalid character",
	}
	for in, want := range cases {
		var r order.Request
		err := json.Unmarshal([]byte(in), &r)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	var l order.Listener
	if err := json.Unmarshal([]byte(`{"front_timeout":"1m30s","back_timeout":5}`), &l); err != nil {
		t.Fatal(err)
	}
	if l.FrontTimeout.D() != 90*time.Second || l.BackTimeout.D() != 5*time.Second {
		t.Errorf("got %v %v", l.FrontTimeout, l.BackTimeout)
	}
	if err := json.Unmarshal([]byte(`{"front_timeout":"soon"}`), &l); err == nil {
		t.Error("bad duration accepted")
	}
}

func TestValidateNamesField(t *testing.T) {
	err := order.AddBackend{Backend: order.Backend{ClusterID: "c", ID: "b", Address: ":80"}}.Validate()
	var fe *order.FieldError
	if !errors.As(err, &fe) || fe.Field != "backend.address" {
		t.Fatalf("got %v", err)
	}
}
