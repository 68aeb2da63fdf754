package daemon_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// adminCase is one order sent through the admin API and, on the same
// daemon from the same state, through the command socket: the answers
// (status, message, code, content) and the states they leave must be
// the same.
type adminCase struct {
	name         string
	method, path string
	body         any // JSON-encoded; nil: no body
	socket       order.Order
	status       int           // the HTTP status expected
	prep         []order.Order // applied on the socket before each of the two runs
}

// TestAdminAPIMatchesSocket drives every order kind through HTTP and
// compares each answer with the command socket's. Streams and shutdown,
// which cannot run twice on one daemon, have their own tests below.
func TestAdminAPIMatchesSocket(t *testing.T) {
	d := startDaemon(t)
	ca := testcert.NewCA()
	leafA := ca.Leaf([]string{"a.test"}, testcert.Options{})
	leafB := ca.Leaf([]string{"b.test"}, testcert.Options{})
	fpA := fingerprint(leafA)
	certA := order.CertificateAndKey{Certificate: leafA.Cert, Key: leafA.Key}
	certB := order.CertificateAndKey{Certificate: leafB.Cert, Key: leafB.Key}
	saved := filepath.Join(d.dir, "saved.json")
	newL := freePort(t)
	h := url.PathEscape(d.httpL)
	hs := url.PathEscape(d.httpsL)
	frontend := order.HTTPFrontend{Address: d.httpL, Hostname: "new.test", ClusterID: "shop"}
	target := order.Requests(d.dump(t).Orders())

	cases := []adminCase{
		{name: "list listeners", method: "GET", path: "/api/listeners", socket: order.ListListeners{}, status: 200},
		{name: "list listeners with keys", method: "GET", path: "/api/listeners?with_keys=true", socket: order.ListListeners{WithKeys: true}, status: 200,
			prep: []order.Order{order.AddCertificate{Address: d.httpsL, Certificate: certA, Default: true}}},
		{name: "add listener", method: "POST", path: "/api/listeners", body: order.Listener{Protocol: order.HTTP, Address: newL, Active: true},
			socket: order.AddListener{Listener: order.Listener{Protocol: order.HTTP, Address: newL, Active: true}}, status: 200},
		{name: "add listener conflict", method: "POST", path: "/api/listeners", body: order.Listener{Protocol: order.TCP, Address: d.httpL},
			socket: order.AddListener{Listener: order.Listener{Protocol: order.TCP, Address: d.httpL}}, status: 409},
		{name: "update listener", method: "PATCH", path: "/api/listeners/" + h, body: map[string]any{"front_timeout": "2m", "answers": map[string]string{"503": "<p>soon</p>"}},
			socket: order.UpdateListener{Address: d.httpL, FrontTimeout: order.Some(order.Duration(120e9)), Answers: order.Some(map[string]string{"503": "<p>soon</p>"})}, status: 200},
		{name: "update listener unknown", method: "PATCH", path: "/api/listeners/127.0.0.1:1", body: map[string]any{"front_timeout": "2m"},
			socket: order.UpdateListener{Address: "127.0.0.1:1", FrontTimeout: order.Some(order.Duration(120e9))}, status: 404},
		{name: "deactivate listener", method: "POST", path: "/api/listeners/" + h + "/deactivate", socket: order.DeactivateListener{Address: d.httpL}, status: 200},
		{name: "activate listener", method: "POST", path: "/api/listeners/" + h + "/activate", socket: order.ActivateListener{Address: d.httpL}, status: 200,
			prep: []order.Order{order.DeactivateListener{Address: d.httpL}}},
		{name: "remove listener", method: "DELETE", path: "/api/listeners/" + h, socket: order.RemoveListener{Address: d.httpL}, status: 200},

		{name: "list certificates", method: "GET", path: "/api/certificates", socket: order.ListCertificates{}, status: 200,
			prep: []order.Order{order.AddCertificate{Address: d.httpsL, Certificate: certA}}},
		{name: "list a listener's certificates", method: "GET", path: "/api/listeners/" + hs + "/certificates", socket: order.ListCertificates{Address: d.httpsL}, status: 200,
			prep: []order.Order{order.AddCertificate{Address: d.httpsL, Certificate: certA}}},
		{name: "list certificates of a plain listener", method: "GET", path: "/api/certificates?address=" + h, socket: order.ListCertificates{Address: d.httpL}, status: 404},
		{name: "add certificate", method: "POST", path: "/api/listeners/" + hs + "/certificates", body: map[string]any{"certificate": certA, "default": true},
			socket: order.AddCertificate{Address: d.httpsL, Certificate: certA, Default: true}, status: 200},
		{name: "add certificate, bad key", method: "POST", path: "/api/listeners/" + hs + "/certificates", body: map[string]any{"certificate": order.CertificateAndKey{Certificate: leafA.Cert, Key: leafB.Key}},
			socket: order.AddCertificate{Address: d.httpsL, Certificate: order.CertificateAndKey{Certificate: leafA.Cert, Key: leafB.Key}}, status: 400},
		{name: "replace certificate", method: "PUT", path: "/api/listeners/" + hs + "/certificates/" + fpA, body: map[string]any{"certificate": certB},
			socket: order.ReplaceCertificate{Address: d.httpsL, OldFingerprint: fpA, Certificate: certB}, status: 200,
			prep: []order.Order{order.AddCertificate{Address: d.httpsL, Certificate: certA}}},
		{name: "remove certificate", method: "DELETE", path: "/api/listeners/" + hs + "/certificates/" + fpA, socket: order.RemoveCertificate{Address: d.httpsL, Fingerprint: fpA}, status: 200,
			prep: []order.Order{order.AddCertificate{Address: d.httpsL, Certificate: certA}}},
		{name: "remove certificate unknown", method: "DELETE", path: "/api/listeners/" + hs + "/certificates/" + fpA, socket: order.RemoveCertificate{Address: d.httpsL, Fingerprint: fpA}, status: 404},

		{name: "list clusters", method: "GET", path: "/api/clusters", socket: order.ListClusters{}, status: 200},
		{name: "add cluster", method: "POST", path: "/api/clusters", body: order.Cluster{ID: "web", LoadBalancing: order.Random},
			socket: order.AddCluster{Cluster: order.Cluster{ID: "web", LoadBalancing: order.Random}}, status: 200},
		{name: "add cluster, bad id", method: "POST", path: "/api/clusters", body: map[string]any{"id": "bad id!"},
			socket: order.AddCluster{Cluster: order.Cluster{ID: "bad id!"}}, status: 400},
		{name: "add cluster conflict", method: "POST", path: "/api/clusters", body: order.Cluster{ID: "shop", LoadBalancing: order.Random},
			socket: order.AddCluster{Cluster: order.Cluster{ID: "shop", LoadBalancing: order.Random}}, status: 409},
		{name: "update cluster", method: "PATCH", path: "/api/clusters/shop", body: map[string]any{"sticky_session": true, "health_check": nil},
			socket: order.UpdateCluster{ID: "shop", StickySession: order.Some(true), HealthCheck: order.Some[*order.HealthCheck](nil)}, status: 200},
		{name: "update cluster, nothing given", method: "PATCH", path: "/api/clusters/shop", body: map[string]any{},
			socket: order.UpdateCluster{ID: "shop"}, status: 400},
		{name: "remove cluster", method: "DELETE", path: "/api/clusters/shop", socket: order.RemoveCluster{ID: "shop"}, status: 200},
		{name: "remove cluster unknown", method: "DELETE", path: "/api/clusters/nope", socket: order.RemoveCluster{ID: "nope"}, status: 404},

		{name: "list backends", method: "GET", path: "/api/backends", socket: order.ListBackends{}, status: 200},
		{name: "list a cluster's backends", method: "GET", path: "/api/clusters/shop/backends", socket: order.ListBackends{ClusterID: "shop"}, status: 200},
		{name: "list backends of no cluster", method: "GET", path: "/api/backends?cluster_id=nope", socket: order.ListBackends{ClusterID: "nope"}, status: 404},
		{name: "add backend", method: "POST", path: "/api/clusters/shop/backends", body: map[string]any{"id": "shop-2", "address": "127.0.0.1:10", "weight": 5},
			socket: order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "shop-2", Address: "127.0.0.1:10", Weight: 5}}, status: 200},
		{name: "add backend, weight 2000", method: "POST", path: "/api/clusters/shop/backends", body: map[string]any{"id": "shop-2", "address": "127.0.0.1:10", "weight": 2000},
			socket: order.AddBackend{Backend: order.Backend{ClusterID: "shop", ID: "shop-2", Address: "127.0.0.1:10", Weight: 2000}}, status: 400},
		{name: "add backend to no cluster", method: "POST", path: "/api/clusters/nope/backends", body: map[string]any{"id": "x", "address": "127.0.0.1:10"},
			socket: order.AddBackend{Backend: order.Backend{ClusterID: "nope", ID: "x", Address: "127.0.0.1:10"}}, status: 404},
		{name: "update backend", method: "PATCH", path: "/api/clusters/shop/backends/shop-1", body: map[string]any{"weight": 5},
			socket: order.UpdateBackend{ClusterID: "shop", ID: "shop-1", Weight: order.Some(5)}, status: 200},
		{name: "update backend, weight 0", method: "PATCH", path: "/api/clusters/shop/backends/shop-1", body: map[string]any{"weight": 0},
			socket: order.UpdateBackend{ClusterID: "shop", ID: "shop-1", Weight: order.Some(0)}, status: 400},
		{name: "remove backend", method: "DELETE", path: "/api/clusters/shop/backends/shop-1", socket: order.RemoveBackend{ClusterID: "shop", ID: "shop-1"}, status: 200},
		{name: "remove backend unknown", method: "DELETE", path: "/api/clusters/shop/backends/nope", socket: order.RemoveBackend{ClusterID: "shop", ID: "nope"}, status: 404},

		{name: "list frontends", method: "GET", path: "/api/frontends", socket: order.ListFrontends{}, status: 200},
		{name: "add http frontend", method: "POST", path: "/api/frontends/http", body: frontend, socket: order.AddHTTPFrontend{HTTPFrontend: frontend}, status: 200},
		{name: "update http frontend", method: "PATCH", path: "/api/frontends/http", body: map[string]any{"address": d.httpL, "hostname": "shop.test", "path": "/api", "deny": true},
			socket: order.UpdateHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpL, Hostname: "shop.test", Path: "/api", Deny: true}}, status: 200},
		{name: "remove http frontend", method: "DELETE", path: "/api/frontends/http", body: map[string]any{"address": d.httpL, "hostname": "shop.test", "path": "/api"},
			socket: order.RemoveHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpL, Hostname: "shop.test", Path: "/api"}}, status: 200},
		{name: "remove http frontend unknown", method: "DELETE", path: "/api/frontends/http", body: map[string]any{"address": d.httpL, "hostname": "nope.test"},
			socket: order.RemoveHTTPFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpL, Hostname: "nope.test"}}, status: 404},
		{name: "add https frontend", method: "POST", path: "/api/frontends/https", body: order.HTTPFrontend{Address: d.httpsL, Hostname: "a.test", ClusterID: "shop"},
			socket: order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpsL, Hostname: "a.test", ClusterID: "shop"}}, status: 200},
		{name: "add https frontend on http", method: "POST", path: "/api/frontends/https", body: order.HTTPFrontend{Address: d.httpL, Hostname: "a.test", ClusterID: "shop"},
			socket: order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpL, Hostname: "a.test", ClusterID: "shop"}}, status: 400},
		{name: "update https frontend", method: "PATCH", path: "/api/frontends/https", body: map[string]any{"address": d.httpsL, "hostname": "a.test", "rewrite_path": "/v2$PATH"},
			socket: order.UpdateHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpsL, Hostname: "a.test"}, RewritePath: order.Some("/v2$PATH")}, status: 200,
			prep: []order.Order{order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpsL, Hostname: "a.test", ClusterID: "shop"}}}},
		{name: "remove https frontend", method: "DELETE", path: "/api/frontends/https", body: map[string]any{"address": d.httpsL, "hostname": "a.test"},
			socket: order.RemoveHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpsL, Hostname: "a.test"}}, status: 200,
			prep: []order.Order{order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: d.httpsL, Hostname: "a.test", ClusterID: "shop"}}}},
		{name: "add tcp frontend", method: "POST", path: "/api/frontends/tcp", body: order.TCPFrontend{Address: d.tcp, Hostname: "db.test", ClusterID: "db"},
			socket: order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: d.tcp, Hostname: "db.test", ClusterID: "db"}}, status: 200},
		{name: "update tcp frontend", method: "PATCH", path: "/api/frontends/tcp", body: order.TCPFrontend{Address: d.tcp, ClusterID: "db2"},
			socket: order.UpdateTCPFrontend{TCPFrontend: order.TCPFrontend{Address: d.tcp, ClusterID: "db2"}}, status: 200,
			prep: []order.Order{order.AddCluster{Cluster: order.Cluster{ID: "db2", Protocol: order.TCP}}}},
		{name: "remove tcp frontend", method: "DELETE", path: "/api/frontends/tcp", body: order.TCPFrontend{Address: d.tcp},
			socket: order.RemoveTCPFrontend{TCPFrontend: order.TCPFrontend{Address: d.tcp}}, status: 200},

		{name: "dump state", method: "GET", path: "/api/state", socket: order.DumpState{}, status: 200},
		{name: "dump state with keys", method: "GET", path: "/api/state?with_keys=1", socket: order.DumpState{WithKeys: true}, status: 200,
			prep: []order.Order{order.AddCertificate{Address: d.httpsL, Certificate: certA}}},
		{name: "save state", method: "POST", path: "/api/state/save", body: map[string]string{"path": saved}, socket: order.SaveState{Path: saved}, status: 200},
		{name: "save state nowhere", method: "POST", path: "/api/state/save", body: map[string]string{"path": filepath.Join(d.dir, "no", "dir", "s.json")},
			socket: order.SaveState{Path: filepath.Join(d.dir, "no", "dir", "s.json")}, status: 400},
		{name: "load state", method: "POST", path: "/api/state/load", body: map[string]string{"path": saved}, socket: order.LoadState{Path: saved}, status: 200,
			prep: []order.Order{order.SaveState{Path: saved}, order.RemoveCluster{ID: "shop"}}},
		{name: "reload, dry run", method: "POST", path: "/api/reload", body: map[string]any{"dry_run": true, "target": target[:4]},
			socket: order.Reload{DryRun: true, Target: target[:4]}, status: 200},
		{name: "reload", method: "POST", path: "/api/reload", body: map[string]any{"target": target},
			socket: order.Reload{Target: target}, status: 200, prep: []order.Order{order.RemoveCluster{ID: "db"}}},

		{name: "status", method: "GET", path: "/api/status", socket: order.Status{}, status: 200},
		{name: "metrics", method: "GET", path: "/api/metrics", socket: order.Metrics{}, status: 200},
		{name: "metrics of a cluster with buckets", method: "GET", path: "/api/metrics?cluster_id=shop&buckets=true", socket: order.Metrics{ClusterID: "shop", Buckets: true}, status: 200},
		{name: "metrics of no cluster", method: "GET", path: "/api/metrics?cluster_id=nope", socket: order.Metrics{ClusterID: "nope"}, status: 404},
		{name: "logging", method: "PUT", path: "/api/logging", body: map[string]string{"level": "warn"}, socket: order.SetLogLevel{Level: "warn"}, status: 200},
		{name: "logging, bad level", method: "PUT", path: "/api/logging", body: map[string]string{"level": "loud"}, socket: order.SetLogLevel{Level: "loud"}, status: 400},
		{name: "upgrade", method: "POST", path: "/api/upgrade", body: map[string]string{"timeout": "2s"}, socket: order.Upgrade{Timeout: order.Duration(2e9)}, status: 500},
		{name: "any order", method: "POST", path: "/api/orders", body: map[string]any{"id": "x1", "kind": "list_clusters"}, socket: order.ListClusters{}, status: 200},
		{name: "any order, unknown kind", method: "POST", path: "/api/orders", body: map[string]any{"id": "x2", "kind": "add_clustre"}, status: 400},
	}

	seen := map[order.Kind]bool{"subscribe_events": true, "shutdown": true} // TestAdminEventsMatchSocket, TestAdminShutdown
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := ""
			if c.body != nil {
				body = jsonOf(t, c.body)
			}
			before := d.dump(t)
			for _, o := range c.prep {
				d.must(t, o)
			}
			status, viaHTTP := d.call(t, writeToken, c.method, c.path, body)
			afterHTTP := d.dump(t)
			d.restore(t, before)
			if status != c.status {
				t.Errorf("%s %s: HTTP %d, want %d: %+v", c.method, c.path, status, c.status, viaHTTP)
			}
			if c.socket == nil {
				if viaHTTP.Status != order.StatusError || viaHTTP.Code != order.CodeInvalid {
					t.Errorf("answer %+v, want an invalid request", viaHTTP)
				}
				return
			}
			seen[c.socket.Kind()] = true
			for _, o := range c.prep {
				d.must(t, o)
			}
			viaSocket := d.socket(t, c.socket)
			afterSocket := d.dump(t)
			d.restore(t, before)
			viaHTTP.ID, viaSocket.ID = "", ""
			if st := viaHTTP.Content; st != nil && st.Status != nil { // what moves by itself
				for _, s := range []*order.ProxyStatus{st.Status, viaSocket.Content.Status} {
					s.UptimeSeconds, s.MemoryBytes, s.Goroutines, s.IdleWorkers = 0, 0, 0, 0
				}
			}
			// A state file is written through a temporary file of a random name.
			h, s := tempName.ReplaceAllString(jsonOf(t, viaHTTP), "TEMP"), tempName.ReplaceAllString(jsonOf(t, viaSocket), "TEMP")
			if h != s {
				t.Errorf("answers differ:\nHTTP:   %s\nsocket: %s", h, s)
			}
			if h, s := jsonOf(t, afterHTTP), jsonOf(t, afterSocket); h != s {
				t.Errorf("states differ after the order:\nHTTP:   %s\nsocket: %s", h, s)
			}
		})
	}
	for _, k := range order.Kinds() {
		if !seen[k] {
			t.Errorf("order kind %s is not driven through the admin API", k)
		}
	}
}

func fingerprint(l testcert.Leaf) string {
	sum := sha256.Sum256(l.X509.Raw)
	return hex.EncodeToString(sum[:])
}

var tempName = regexp.MustCompile(`\.sluice-state-[0-9]+`)

// TestAdminGetOne: a get of one object answers as its list order does,
// with that object alone; an unknown one is 404 with the proxy's wording.
func TestAdminGetOne(t *testing.T) {
	d := startDaemon(t)
	leaf := testcert.NewCA().Leaf([]string{"a.test"}, testcert.Options{})
	d.must(t, order.AddCertificate{Address: d.httpsL, Certificate: order.CertificateAndKey{Certificate: leaf.Cert, Key: leaf.Key}})
	list := d.must(t, order.ListClusters{}).Content.Clusters
	backends := d.must(t, order.ListBackends{ClusterID: "shop"}).Content.Backends
	var tcp order.Listener
	for _, l := range d.must(t, order.ListListeners{}).Content.Listeners {
		if l.Address == d.tcp {
			tcp = l
		}
	}
	certs := d.must(t, order.ListCertificates{}).Content.Certificates
	for _, c := range []struct {
		path   string
		status int
		want   any
		msg    string
	}{
		{"/api/clusters/shop", 200, order.Content{Clusters: []order.Cluster{list[1]}}, ""},
		{"/api/clusters/nope", 404, nil, `cluster.id: no cluster "nope"`},
		{"/api/clusters/shop/backends/shop-1", 200, order.Content{Backends: backends}, ""},
		{"/api/clusters/shop/backends/nope", 404, nil, `backend.id: no backend "nope" in cluster "shop"`},
		{"/api/clusters/nope/backends/shop-1", 404, nil, `no cluster "nope"`},
		{"/api/listeners/" + d.tcp, 200, order.Content{Listeners: []order.Listener{tcp}}, ""},
		{"/api/listeners/127.0.0.1:1", 404, nil, "listener.address: no listener on 127.0.0.1:1"},
		{"/api/listeners/" + d.httpsL + "/certificates/" + fingerprint(leaf), 200, order.Content{Certificates: certs}, ""},
		{"/api/listeners/" + d.httpsL + "/certificates/" + strings.Repeat("0", 64), 404, nil, "certificate.fingerprint: no certificate"},
	} {
		status, resp := d.call(t, readToken, "GET", c.path, "")
		if status != c.status || !strings.Contains(resp.Message, c.msg) {
			t.Errorf("GET %s: %d %+v, want %d %q", c.path, status, resp, c.status, c.msg)
			continue
		}
		if c.want != nil && jsonOf(t, resp.Content) != jsonOf(t, c.want) {
			t.Errorf("GET %s:\n%s\nwant\n%s", c.path, jsonOf(t, resp.Content), jsonOf(t, c.want))
		}
	}
}
