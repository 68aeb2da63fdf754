package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/internal/fieldset"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// stateServer serves a command socket whose orders change a state, as a
// proxy's do (state.Apply: the same checks, no sockets), and returns the
// socket's path and the state when asked.
func stateServer(t *testing.T) (string, func() state.State) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sock")
	srv, err := command.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	s := state.New()
	var wg sync.WaitGroup
	wg.Go(func() {
		srv.Serve(func(_ context.Context, o order.Order, _ command.Progress) order.Response {
			mu.Lock()
			defer mu.Unlock()
			next, _, err := s.Apply(o)
			if err != nil {
				return order.Response{Status: order.StatusError, Message: err.Error()}
			}
			s = next
			return order.Response{Status: order.StatusOK}
		})
	})
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return path, func() state.State { mu.Lock(); defer mu.Unlock(); return s }
}

// cliObject is the command line of one object of
// ../../config/testdata/every.toml: the add command with the object's key
// (and what an add needs), the settings fixed at add, and the others,
// which the update command can give instead.
type cliObject struct {
	add, update []string // the commands; update nil: add only
	key, fixed  []string
	settings    []string
}

// everyObject are the objects of every.toml, by command line.
func everyObjects(t *testing.T) []cliObject {
	td := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "..", "config", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const hash = "$2a$10$7d/mDPvT4eBzt7jlBgvSauobG.WCnbYIcafsnPUsespCjpU9VrYbi"
	frontend := func(proto string) ([]string, []string) {
		return []string{"frontend", proto, "add"}, []string{"frontend", proto, "update"}
	}
	hadd, hupd := frontend("http")
	sadd, supd := frontend("https")
	return []cliObject{
		{add: []string{"listener", "http", "add"}, update: []string{"listener", "update"},
			key:   []string{"--address", "127.0.0.1:8080"},
			fixed: []string{"--max-connections-per-ip", "5"},
			settings: []string{"--expect-proxy", "--sticky-name", "SHOPID", "--front-timeout", "50s",
				"--back-timeout", "40s", "--connect-timeout", "4s", "--request-timeout", "9s", "--tunnel-timeout", "3h",
				"--keepalive-timeout", "8s", "--max-head-bytes", "16384", "--max-header-fields", "50",
				"--max-body-bytes", "65536", "--answer", "404=" + td("errors/404.html"), "--x-real-ip",
				"--request-id-header", "X-Request-Id"}},
		{add: []string{"listener", "https", "add"}, update: []string{"listener", "update"},
			key: []string{"--address", "127.0.0.1:8443",
				"--certificate", td("certs/default.pem"), "--key", td("certs/default.key"), "--chain", td("certs/chain.pem")},
			settings: []string{"--tls-versions", "TLS1.3", "--cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
				"--curves", "X25519", "--session-ticket-lifetime", "1h", "--ocsp-stapling=false", "--acme",
				"--client-auth", "optional", "--client-ca", td("certs/chain.pem"),
				"--hsts-max-age", "31536000", "--hsts-include-subdomains", "--hsts-preload"}},
		{add: []string{"listener", "tcp", "add"}, key: []string{"--address", "127.0.0.1:5432"}},
		{add: []string{"cluster", "add"}, update: []string{"cluster", "update"},
			key: []string{"--id", "shop"},
			settings: []string{"--load-balancing", "maglev", "--sticky-session", "--https-redirect",
				"--https-redirect-port", "8443", "--backend-protocol", "h2", "--hsts-max-age", "600",
				"--answer", "502=" + td("errors/503.html"), "--hash-key", "source=header,name=X-User",
				"--rate-limit", "rate=100,period=1m,burst=10,key=header,header=X-Key,max_keys=2048",
				"--retry", "attempts=3,on_status=503,budget_percent=30,backoff=50ms",
				"--compression", "algorithms=gzip,types=text/html,min_size=512,gzip_level=5",
				"--header", "response:set:X-Served-By=shop", "--tls", "--tls-ca", td("certs/chain.pem"),
				"--tls-server-name", "shop.internal", "--tls-insecure-skip-verify",
				"--tls-client-certificate", td("certs/shop.pem"), "--tls-client-key", td("certs/shop.key"),
				"--health-check", "http", "--health-check-path", "/healthz", "--health-check-host", "shop.internal",
				"--health-check-status", "204", "--health-check-interval", "2s", "--health-check-timeout", "1s",
				"--health-check-rise", "3", "--health-check-fall", "4", "--health-check-fail-open",
				"--passive-health", "max_failures=4,backoff=2s,backoff_max=1m"}},
		{add: []string{"cluster", "add"}, update: []string{"cluster", "update"},
			key: []string{"--id", "legacy"}, settings: []string{"--send-proxy"}},
		{add: []string{"cluster", "add"}, key: []string{"--id", "db", "--protocol", "tcp"}},
		{add: []string{"cluster", "add"}, update: []string{"cluster", "update"},
			key: []string{"--id", "grpc"}, settings: []string{"--http2"}},
		{add: hadd, update: hupd,
			key: []string{"--address", "127.0.0.1:8080", "--hostname", "shop.example.com", "--path", "/api",
				"--path-type", "prefix", "--method", "POST", "--position", "pre",
				"--match-header", "X-Beta:exact:1", "--match-query", "channel:prefix:b", "--cluster", "shop"},
			settings: []string{"--rewrite-host", "api.internal", "--rewrite-path", "/v2$PATH_REST",
				"--header", "request:add:X-From=edge", "--basic-auth", "realm=staff,forward_authorization=true",
				"--user", "alice=" + hash, "--rate-limit", "rate=10,burst=20"}},
		{add: hadd, update: hupd,
			key:      []string{"--address", "127.0.0.1:8080", "--hostname", "old.example.com", "--cluster", "shop"},
			settings: []string{"--redirect", "308", "--redirect-scheme", "https", "--redirect-port", "8443"}},
		{add: hadd, update: hupd,
			key:      []string{"--address", "127.0.0.1:8080", "--hostname", "legacy.example.com", "--cluster", "legacy"},
			settings: []string{"--header", "response:delete:Server"}},
		{add: hadd, update: hupd,
			key:      []string{"--address", "127.0.0.1:8080", "--hostname", "grpc.example.com", "--cluster", "grpc"},
			settings: []string{"--user", "bob=" + hash, "--rate-limit", "rate=5"}},
		{add: sadd, key: []string{"--address", "127.0.0.1:8443", "--hostname", "shop.example.com", "--cluster", "shop"}},
		{add: sadd, key: []string{"--address", "127.0.0.1:8443", "--hostname", "shop.example.com", "--path", "/admin",
			"--path-type", "equals", "--method", "GET", "--deny", "--position", "post",
			"--match-header", "X-Admin:present", "--match-query", "debug:absent"}},
		{add: sadd, update: supd,
			key: []string{"--address", "127.0.0.1:8443", "--hostname", "www.example.com", "--cluster", "shop"},
			settings: []string{"--acme", "--rewrite-host", "www.internal", "--rewrite-path", "/site$PATH",
				"--redirect", "302", "--redirect-location", "https://example.com/"}},
		{add: []string{"certificate", "add"}, key: []string{"--address", "127.0.0.1:8443",
			"--certificate", td("certs/shop.pem"), "--key", td("certs/shop.key"), "--chain", td("certs/chain.pem"),
			"--names", "shop.example.com"}},
		{add: []string{"backend", "add"}, update: []string{"backend", "update"},
			key:      []string{"--cluster", "shop", "--id", "shop-1", "--address", "127.0.0.1:3000"},
			settings: []string{"--weight", "50", "--backup", "--sticky-id", "one"}},
		{add: []string{"backend", "add"}, key: []string{"--cluster", "legacy", "--id", "legacy-1", "--address", "127.0.0.1:3002"}},
		{add: []string{"backend", "add"}, key: []string{"--cluster", "grpc", "--id", "grpc-1", "--address", "127.0.0.1:3003"}},
		{add: []string{"backend", "add"}, key: []string{"--cluster", "db", "--id", "db-1", "--address", "127.0.0.1:15432"}},
		{add: []string{"frontend", "tcp", "add"},
			key: []string{"--address", "127.0.0.1:5432", "--hostname", "db.example.com", "--cluster", "db"}},
	}
}

// fileState is the state of every.toml.
func fileState(t *testing.T) *order.State {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "..", "config", "testdata", "every.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := state.New().ApplyAll(cfg.Orders)
	if err != nil {
		t.Fatal(err)
	}
	return s.Dump()
}

// TestEveryFieldFromTheCLI: the command line reaches every setting of
// every object, by the add commands and by the update commands (objects
// added with their key only, then updated): the state either makes has
// no field unset but those a loaded configuration has none of either.
func TestEveryFieldFromTheCLI(t *testing.T) {
	for _, viaUpdate := range []bool{false, true} {
		sock, current := stateServer(t)
		for _, o := range everyObjects(t) {
			args := slices.Concat(o.add, []string{"-s", sock}, o.key, o.fixed)
			if !viaUpdate || o.update == nil {
				args = append(args, o.settings...)
			}
			if code := run(args); code != exitOK {
				t.Fatalf("sluice %q: exit %d", args, code)
			}
			if viaUpdate && o.update != nil && len(o.settings) > 0 {
				key := o.key
				if slices.Equal(o.add[:1], []string{"listener"}) {
					key = key[:2] // the address
				}
				args := slices.Concat(o.update, []string{"-s", sock}, key, o.settings)
				if code := run(args); code != exitOK {
					t.Fatalf("sluice %q: exit %d", args, code)
				}
			}
		}
		got := current().Dump()
		if want := fileState(t); !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("update %v: the command lines' state differs from every.toml's:\n%s\n%s", viaUpdate, g, w)
		}
		for _, name := range fieldset.Unset(got) {
			switch name {
			case "Cluster.HTTP2", // the earlier spelling of backend_protocol h2
				"Listener.Certificate", // a certificate marked default, in Certificates
				"State.KeysOmitted":    // a mark of dumps printed without keys
				continue
			}
			t.Errorf("update %v: %s is set by no command line", viaUpdate, name)
		}
	}
}
