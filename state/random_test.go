package state_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// Random states for the property tests of Diff: orders drawn from small
// pools, applied when they apply.

// certPool reads the certificates the random states choose from.
func certPool(t *testing.T) []order.CertificateAndKey {
	var out []order.CertificateAndKey
	for _, n := range []string{"default", "shop", "www"} {
		c, err1 := os.ReadFile(filepath.Join("testdata", "certs", n+".pem"))
		k, err2 := os.ReadFile(filepath.Join("testdata", "certs", n+".key"))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		out = append(out, order.CertificateAndKey{Certificate: string(c), Key: string(k)})
	}
	return out
}

// randomState applies n random orders to s, keeping those that apply.
// The orders draw from small pools of addresses, ids and settings, so that
// states collide: same keys with other settings, addresses that two
// backends want, listeners that change protocol.
func randomState(r *rand.Rand, pems []order.CertificateAndKey, s state.State, n int) state.State {
	for range n {
		if next, _, err := s.Apply(randomOrder(r, pems)); err == nil {
			s = next
		}
	}
	return s
}

// mutate applies n orders to s, half of them random, half changing an
// object s has (a frontend's target, a backend's settings, a listener's or
// a cluster's), as a reload usually does.
func mutate(r *rand.Rand, pems []order.CertificateAndKey, s state.State, n int) state.State {
	for range n {
		o := randomOrder(r, pems)
		if r.IntN(2) == 0 {
			if m := changeOrder(r, s); m != nil {
				o = m
			}
		}
		if next, _, err := s.Apply(o); err == nil {
			s = next
		}
	}
	return s
}

// changeOrder is an update of an object of s, or nil when s has none of
// the kind drawn.
func changeOrder(r *rand.Rand, s state.State) order.Order {
	switch r.IntN(4) {
	case 0:
		fs := append(s.HTTPFrontends(order.HTTP), s.HTTPFrontends(order.HTTPS)...)
		if len(fs) == 0 {
			return nil
		}
		f := pickOf(r, fs...)
		if r.IntN(3) == 0 {
			f.ClusterID, f.Deny = "", true
		} else {
			f.ClusterID, f.Deny = pickOf(r, clusterIDs...), false
		}
		u := order.UpdateHTTPFrontend{HTTPFrontend: f}
		if r.IntN(2) == 0 { // settings of issue 16
			f.ClusterID, f.Deny = "", false // the target stays
			u = order.UpdateHTTPFrontend{HTTPFrontend: f, RewritePath: order.Some(pickOf(r, "", "/v2$PATH")),
				Headers: order.Some(randomEdits(r))}
			if r.IntN(3) == 0 {
				u.Redirect = order.Some(pickOf(r, (*order.Redirect)(nil), &order.Redirect{Status: 308, Scheme: "https"}))
			}
		}
		if r.IntN(3) == 0 { // the traffic policy (policy-guard)
			u.BasicAuth, u.RateLimit = order.Some(randomAuth(r)), order.Some(randomLimit(r))
		}
		if r.IntN(4) == 0 { // refused on http frontends and inexact hostnames
			u.ACME = order.Some(r.IntN(2) == 0)
		}
		if l, _ := s.Listener(f.Address); l.Protocol == order.HTTPS {
			return order.UpdateHTTPSFrontend(u)
		}
		return u
	case 1:
		bs := s.Backends("")
		if len(bs) == 0 {
			return nil
		}
		b := pickOf(r, bs...)
		return order.UpdateBackend{ClusterID: b.ClusterID, ID: b.ID, Weight: order.Some(pickOf(r, 1, 7, 100, 1000)),
			Backup: order.Some(r.IntN(3) == 0)}
	case 2:
		ls := s.Listeners()
		if len(ls) == 0 {
			return nil
		}
		return order.UpdateListener{Address: pickOf(r, ls...).Address, ConnectTimeout: order.Some(order.Duration(pickOf[time.Duration](r, 0, 1, 2) * time.Second))}
	}
	cs := s.Clusters()
	if len(cs) == 0 {
		return nil
	}
	u := order.UpdateCluster{ID: pickOf(r, cs...).ID, HTTPSRedirect: order.Some(r.IntN(2) == 0),
		HTTPSRedirectPort: order.Some(pickOf(r, 0, 8443)), Headers: order.Some(randomEdits(r))}
	if r.IntN(2) == 0 { // the traffic policy (policy-guard)
		u.RateLimit, u.Retry = order.Some(randomLimit(r)), order.Some(pickOf(r, nil, &order.Retry{Attempts: 2, OnStatus: []int{503}}))
		u.Compression = order.Some(pickOf(r, nil, &order.Compression{Algorithms: []string{"gzip"}}))
	}
	switch r.IntN(4) { // the backend protocol, in either spelling
	case 0:
		u.BackendProtocol = order.Some(pickOf(r, order.HTTP1, order.H2, order.Auto))
	case 1:
		u.HTTP2 = order.Some(r.IntN(2) == 0)
	}
	return u
}

// randomAuth and randomLimit draw a basic auth and a rate limit
// (policy-guard), often none.
func randomAuth(r *rand.Rand) *order.BasicAuth {
	return pickOf(r, nil, nil, &order.BasicAuth{Realm: pickOf(r, "", "staff"), Users: map[string]string{"alice": bcryptHash}})
}

func randomLimit(r *rand.Rand) *order.RateLimit {
	return pickOf(r, nil, nil, &order.RateLimit{Rate: pickOf(r, 5, 100), Key: pickOf(r, "", order.LimitRoute)})
}

// randomEdits draws header edits (issue 16), often none.
func randomEdits(r *rand.Rand) []order.HeaderEdit {
	return pickOf(r, nil, nil, []order.HeaderEdit{{Position: order.EditRequest, Action: order.EditSet, Name: "X-Env", Value: "prod"}},
		[]order.HeaderEdit{{Position: order.EditResponse, Action: order.EditDelete, Name: "Server"},
			{Position: order.EditRequest, Action: order.EditAdd, Name: "X-Tag", Value: pickOf(r, "a", "b")}})
}

// randomListenerTLS picks TLS settings of an https listener, defaults
// included.
func randomListenerTLS(r *rand.Rand) order.ListenerTLS {
	t := order.ListenerTLS{
		CipherSuites:          pickOf(r, nil, []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}),
		Curves:                pickOf(r, nil, []string{"X25519"}, []string{"P-256", "P-384"}),
		SessionTicketLifetime: pickOf(r, 0, order.Duration(time.Hour), order.Duration(5*time.Minute)),
	}
	if r.IntN(3) == 0 {
		t.ClientAuth, t.ClientCA = pickOf(r, "required", "optional"), randomCA
	}
	t.OCSPStapling = pickOf(r, nil, &stapleOff, &stapleOn)
	t.ACME = r.IntN(3) == 0
	return t
}

var stapleOff, stapleOn = false, true

// randomCA is a CA bundle for client certificates.
var randomCA = testcert.NewCA().PEM

// randomBackendTLS picks TLS settings of a cluster.
func randomBackendTLS(r *rand.Rand, pems []order.CertificateAndKey) *order.BackendTLS {
	c := pickOf(r, pems...)
	return pickOf(r, &order.BackendTLS{}, &order.BackendTLS{ServerName: "api.internal"},
		&order.BackendTLS{CA: c.Certificate, ClientCertificate: c.Certificate, ClientKey: c.Key},
		&order.BackendTLS{InsecureSkipVerify: true})
}

func pickOf[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

var (
	listenAddrs  = []string{"127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003", "127.0.0.1:8004"}
	clusterIDs   = []string{"c1", "c2", "c3"}
	backendIDs   = []string{"a", "b", "c"}
	backendAddrs = []string{"127.0.0.1:3001", "127.0.0.1:3002", "127.0.0.1:3003"}
)

func randomOrder(r *rand.Rand, pems []order.CertificateAndKey) order.Order {
	addr := pickOf(r, listenAddrs...)
	cl := pickOf(r, clusterIDs...)
	switch r.IntN(20) {
	case 0, 1:
		l := order.Listener{Protocol: pickOf(r, order.HTTP, order.HTTPS, order.TCP), Address: addr, Active: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			l.FrontTimeout = order.Duration(pickOf[time.Duration](r, 30, 60) * time.Second)
		}
		if r.IntN(3) == 0 {
			l.MaxConnectionsPerIP = pickOf(r, 5, 10)
		}
		if l.Protocol != order.TCP && r.IntN(2) == 0 {
			l.Answers = map[string]string{"503": pickOf(r, "<p>busy</p>", "HTTP/1.1 503 Busy\r\nRetry-After: 1\r\n\r\nbusy")}
		}
		if l.Protocol == order.HTTPS && r.IntN(2) == 0 {
			c := pickOf(r, pems...)
			l.Certificate = &c
		}
		if l.Protocol == order.HTTPS && r.IntN(2) == 0 {
			l.ListenerTLS = randomListenerTLS(r)
		}
		return order.AddListener{Listener: l}
	case 2:
		u := order.UpdateListener{Address: addr, StickyName: order.Some(pickOf(r, "", "S1", "S2")),
			MaxHeadBytes: order.Some(pickOf(r, 0, 16384)), TLSVersions: order.Some(pickOf(r, []string(nil), []string{"TLS1.3"}))}
		if r.IntN(2) == 0 {
			u.XRealIP, u.RequestIDHeader = order.Some(r.IntN(2) == 0), order.Some(pickOf(r, "", "X-Request-Id"))
		}
		if r.IntN(3) == 0 { // refused on http and tcp listeners
			t := randomListenerTLS(r)
			u.CipherSuites, u.SessionTicketLifetime = order.Some(t.CipherSuites), order.Some(t.SessionTicketLifetime)
			if r.IntN(2) == 0 {
				u.Curves = order.Some(t.Curves)
			}
			if r.IntN(2) == 0 {
				u.OCSPStapling = order.Some(t.OCSPStapling)
			}
			if r.IntN(2) == 0 {
				u.ACME = order.Some(t.ACME)
			}
		}
		return u
	case 3:
		if r.IntN(4) == 0 {
			return order.RemoveListener{Address: addr}
		}
		if r.IntN(2) == 0 {
			return order.DeactivateListener{Address: addr}
		}
		return order.ActivateListener{Address: addr}
	case 4, 5:
		c := order.Cluster{ID: cl, Protocol: pickOf(r, order.HTTP, order.HTTP, order.TCP),
			LoadBalancing: pickOf(r, order.RoundRobin, order.Random), StickySession: r.IntN(2) == 0}
		if r.IntN(3) == 0 {
			c.HealthCheck = &order.HealthCheck{Path: pickOf(r, "/", "/health")}
		}
		if c.Protocol == order.HTTP {
			c.HTTPSRedirectPort, c.Headers = pickOf(r, 0, 0, 8443), randomEdits(r)
			// The traffic policy (policy-guard).
			if r.IntN(3) == 0 {
				c.LoadBalancing, c.HashKey = order.Maglev, pickOf(r, nil, &order.HashKey{Source: order.HashHeader, Name: "X-User"})
			}
			c.RateLimit = randomLimit(r)
			c.Retry = pickOf(r, nil, nil, &order.Retry{Attempts: 2})
			c.Compression = pickOf(r, nil, nil, &order.Compression{MinSize: 10})
		}
		if r.IntN(3) == 0 { // refused on tcp clusters
			c.TLS = randomBackendTLS(r, pems)
		}
		// auto without tls, and h2 or auto on tcp, are refused.
		c.BackendProtocol = pickOf(r, "", "", order.HTTP1, order.H2, order.Auto)
		return order.AddCluster{Cluster: c}
	case 6:
		u := order.UpdateCluster{ID: cl, LoadBalancing: order.Some(pickOf(r, order.LeastLoaded, order.RoundRobin)),
			Answers:     order.Some(pickOf(r, map[string]string(nil), map[string]string{"502": "<p>bad</p>"})),
			HealthCheck: order.Some(pickOf(r, (*order.HealthCheck)(nil), &order.HealthCheck{Type: order.CheckTCP}))}
		if r.IntN(3) == 0 {
			u.TLS = order.Some(pickOf(r, nil, randomBackendTLS(r, pems)))
		}
		return u
	case 7:
		if r.IntN(5) == 0 {
			return order.RemoveCluster{ID: cl}
		}
		return order.RemoveBackend{ClusterID: cl, ID: pickOf(r, backendIDs...)}
	case 8, 9, 10:
		return order.AddBackend{Backend: order.Backend{ClusterID: cl, ID: pickOf(r, backendIDs...),
			Address: pickOf(r, backendAddrs...), Weight: pickOf(r, 0, 1, 50, 1000), Backup: r.IntN(4) == 0,
			StickyID: pickOf(r, "", "", "s1", "s2")}}
	case 11, 12:
		u := order.UpdateBackend{ClusterID: cl, ID: pickOf(r, backendIDs...), Weight: order.Some(pickOf(r, 1, 50, 1000))}
		if r.IntN(2) == 0 {
			u.Address = order.Some(pickOf(r, backendAddrs...))
		}
		if r.IntN(3) == 0 {
			u.StickyID = order.Some(pickOf(r, "", "s1", "s2", "s3"))
		}
		return u
	case 13, 14, 15, 16:
		f := order.HTTPFrontend{Address: addr, Hostname: pickOf(r, "a.test", "*.test", "*", "/[a-z]+/.test"), Path: pickOf(r, "", "/x"),
			Method: pickOf(r, "", "GET")}
		// Keys and settings of issue 16: positions, conditions, redirects,
		// rewrites, header edits.
		f.Position = pickOf(r, "", "", "", order.Pre, order.Post)
		f.MatchHeaders = pickOf(r, nil, nil, nil, []order.Predicate{{Name: "X-Beta", Match: order.MatchPresent}},
			[]order.Predicate{{Name: "x-v", Match: order.MatchExact, Value: "2"}, {Name: "X-Beta", Match: order.MatchPresent}})
		f.MatchQuery = pickOf(r, nil, nil, nil, []order.Predicate{{Name: "v", Match: order.MatchRegex, Value: "[0-9]+"}})
		switch r.IntN(5) {
		case 0:
			f.Deny = true
		case 1:
			f.Redirect = &order.Redirect{Status: pickOf(r, 0, 302, 308), Scheme: pickOf(r, "", "https")}
			if r.IntN(2) == 0 {
				f.ClusterID = cl
			}
		default:
			f.ClusterID = cl
			f.RewritePath = pickOf(r, "", "", "/v2$PATH")
			f.Headers = randomEdits(r)
			f.BasicAuth, f.RateLimit = randomAuth(r), randomLimit(r)
			f.ACME = r.IntN(4) == 0
		}
		switch r.IntN(6) {
		case 0, 1:
			return order.AddHTTPSFrontend{HTTPFrontend: f}
		case 2:
			return pickOf[order.Order](r, order.UpdateHTTPFrontend{HTTPFrontend: f}, order.UpdateHTTPSFrontend{HTTPFrontend: f})
		case 3:
			return pickOf[order.Order](r, order.RemoveHTTPFrontend{HTTPFrontend: f}, order.RemoveHTTPSFrontend{HTTPFrontend: f})
		}
		return order.AddHTTPFrontend{HTTPFrontend: f}
	case 17:
		f := order.TCPFrontend{Address: addr, ClusterID: cl,
			Hostname: pickOf(r, "", "", "a.test", "A.Test", "*.b.test", "*")}
		return pickOf[order.Order](r, order.AddTCPFrontend{TCPFrontend: f}, order.UpdateTCPFrontend{TCPFrontend: f},
			order.RemoveTCPFrontend{TCPFrontend: f})
	}
	c := pickOf(r, pems...)
	if r.IntN(3) == 0 {
		return order.RemoveCertificate{Address: addr, Fingerprint: pickOf(r, "x", fingerprint(c))}
	}
	if r.IntN(3) == 0 {
		return order.ReplaceCertificate{Address: addr, OldFingerprint: fingerprint(pickOf(r, pems...)), Certificate: c}
	}
	return order.AddCertificate{Address: addr, Certificate: c, Default: r.IntN(3) == 0}
}

// fingerprint is a certificate's fingerprint, as the state computes it.
func fingerprint(c order.CertificateAndKey) string {
	s, _, err := state.New().WithClock(func() time.Time { return clock }).Apply(order.AddListener{Listener: order.Listener{
		Protocol: order.HTTPS, Address: "127.0.0.1:1", Certificate: &c}})
	if err != nil {
		return ""
	}
	return s.Certificates("")[0].Fingerprint
}

// TestDumpRoundTripRandom: random states, with every setting the random
// orders draw (those of issue 16 included), survive a dump written as
// JSON and replayed into an empty state.
func TestDumpRoundTripRandom(t *testing.T) {
	pems := certPool(t)
	routes := 0
	for seed := range uint64(60) {
		r := rand.New(rand.NewPCG(seed, 0xd0))
		s := randomState(r, pems, state.New().WithClock(func() time.Time { return clock }), 150)
		b, err := json.Marshal(s.Dump())
		if err != nil {
			t.Fatal(err)
		}
		routes += strings.Count(string(b), `"match_headers"`) + strings.Count(string(b), `"redirect"`)
		var back order.State
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		s2, _, err := state.New().WithClock(func() time.Time { return clock }).ApplyAll(back.Orders())
		if err != nil {
			t.Fatalf("seed %d: the dump does not load: %v", seed, err)
		}
		if got, want := dumpOf(t, s2), dumpOf(t, s); got != want {
			t.Fatalf("seed %d: round trip differs:\n%s\n%s", seed, want, got)
		}
	}
	if routes == 0 {
		t.Error("no random state had conditions or redirects")
	}
}
