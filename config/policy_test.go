package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// The traffic policy's bad values, each reported at its key (policy-guard).
const bcryptHash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

var policyErrCases = []errCase{
	{"maglev key without maglev", "[clusters.shop]\nhash_key = { source = \"header\", name = \"X-User\" }\n", 2, 12,
		[]string{"clusters.shop.hash_key", "needs load_balancing \"maglev\""}},
	{"bad hash source", "[clusters.shop]\nload_balancing = \"maglev\"\nhash_key = { source = \"body\" }\n", 3, 23,
		[]string{"clusters.shop.hash_key.source", `"body" is not client_address, header or cookie`}},
	{"hash header without name", "[clusters.shop]\nload_balancing = \"maglev\"\n[clusters.shop.hash_key]\nsource = \"cookie\"\n", 3, 16,
		[]string{"clusters.shop.hash_key", "name", "not a cookie name"}},
	{"rate of zero", "[clusters.shop]\nrate_limit = { rate = 2000000 }\n", 2, 23,
		[]string{"clusters.shop.rate_limit.rate", "outside 1..1000000"}},
	{"rate without rate", "[clusters.shop]\n[clusters.shop.rate_limit]\nburst = 5\n", 2, 16,
		[]string{"clusters.shop.rate_limit", "rate: missing"}},
	{"bad rate key", "[clusters.shop]\nrate_limit = { rate = 5, key = \"cookie\" }\n", 2, 32,
		[]string{"clusters.shop.rate_limit.key", `"cookie" is not client_address, header or route`}},
	{"rate header without key header", "[clusters.shop]\nrate_limit = { rate = 5, header = \"X-Key\" }\n", 2, 35,
		[]string{"clusters.shop.rate_limit.header", "only with key = \"header\""}},
	{"too few max_keys", "[clusters.shop]\nrate_limit = { rate = 5, max_keys = 10 }\n", 2, 37,
		[]string{"clusters.shop.rate_limit.max_keys", "outside 1024..16777216"}},
	{"negative burst", "[clusters.shop]\nrate_limit = { rate = 5, burst = -1 }\n", 2, 34,
		[]string{"clusters.shop.rate_limit.burst", "outside"}},
	{"retry on 500", "[clusters.shop]\nretry = { on_status = [502, 500] }\n", 2, 24,
		[]string{"clusters.shop.retry.on_status", "500: only 502, 503 and 504"}},
	{"too many retries", "[clusters.shop]\nretry = { attempts = 9 }\n", 2, 22,
		[]string{"clusters.shop.retry.attempts", "outside 1..5"}},
	{"retry budget over 100", "[clusters.shop]\nretry = { budget_percent = 150 }\n", 2, 28,
		[]string{"clusters.shop.retry.budget_percent", "outside 1..100"}},
	{"retry backoff too long", "[clusters.shop]\nretry = { backoff = \"1m\" }\n", 2, 21,
		[]string{"clusters.shop.retry.backoff", "outside 0..10s"}},
	{"unknown compression", "[clusters.shop]\ncompression = { algorithms = [\"gzip\", \"lz4\"] }\n", 2, 31,
		[]string{"clusters.shop.compression.algorithms", `"lz4" is not zstd, br or gzip`}},
	{"bad compression type", "[clusters.shop]\ncompression = { types = [\"html\"] }\n", 2, 26,
		[]string{"clusters.shop.compression.types", `"html" is not a media type`}},
	{"gzip level 10", "[clusters.shop]\ncompression = { gzip_level = 10 }\n", 2, 30,
		[]string{"clusters.shop.compression.gzip_level", "outside 1..9"}},
	{"negative min_size", "[clusters.shop]\ncompression = { min_size = -1 }\n", 2, 28,
		[]string{"clusters.shop.compression.min_size", "negative"}},
	{"compression on tcp", "[clusters.db]\nprotocol = \"tcp\"\ncompression = {}\n", 3, 15,
		[]string{"clusters.db.compression", "needs an http cluster"}},
	{"plain password", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\",\n  basic_auth = { users = { alice = \"hunter2\" } } } ]\n",
		11, 36, []string{"clusters.shop.frontends[0].basic_auth.users.alice", `user "alice"`, "plain passwords are refused"}},
	{"bad bcrypt", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\",\n  basic_auth = { users = { alice = \"$2a$10$short\" } } } ]\n",
		11, 36, []string{"basic_auth.users.alice", "not a valid bcrypt hash"}},
	{"bad argon2id", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\",\n  basic_auth = { users = { bob = \"$argon2id$v=19$m=65536,t=3$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\" } } } ]\n",
		11, 34, []string{"basic_auth.users.bob", "argon2id"}},
	{"auth without users", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\", basic_auth = { realm = \"x\" } } ]\n",
		10, 79, []string{"basic_auth", "users: missing"}},
	{"realm with a quote", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\",\n  basic_auth = { realm = \"a\\\"b\", users = { u = \"" + bcryptHash + "\" } } } ]\n",
		11, 26, []string{"basic_auth.realm", "quote"}},
	{"frontend rate limit", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8443\", hostname = \"a.test\", rate_limit = { rate = 5, period = \"0.1us\" } } ]\n",
		10, 100, []string{"clusters.shop.frontends[0].rate_limit.period", "outside 1ms..24h"}},
	{"basic auth on a redirect frontend", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\", redirect = { status = 308 },\n  basic_auth = { users = { u = \"" + bcryptHash + "\" } } } ]\n",
		11, 16, []string{"clusters.shop.frontends[0].basic_auth", "a redirect frontend answers before basic auth"}},
	{"rate limit on a redirect frontend", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\", redirect = { status = 308 },\n  rate_limit = { rate = 5 } } ]\n",
		11, 16, []string{"clusters.shop.frontends[0].rate_limit", "a redirect frontend answers before rate limits"}},
	{"fail_open not a boolean", "[clusters.shop]\nhealth_check = { fail_open = \"yes\" }\n", 2, 30,
		[]string{"clusters.shop.health_check.fail_open", "expected a boolean"}},
}

func init() {
	errCases = append(errCases, policyErrCases...)
}

// TestPolicyKeysBecomeOrders: every policy key reaches its order field.
func TestPolicyKeysBecomeOrders(t *testing.T) {
	text := base + `
[clusters.shop]
load_balancing = "maglev"
hash_key = { source = "header", name = "X-User" }
rate_limit = { rate = 100, period = "1m", burst = 150, key = "route", max_keys = 2048 }
retry = { attempts = 3, on_status = [502, 504], budget_percent = 10, backoff = "50ms" }
compression = { algorithms = ["gzip", "br"], types = ["text/*"], min_size = 200, gzip_level = 7 }
health_check = { fail_open = true }
frontends = [ { address = "127.0.0.1:8080", hostname = "a.test",
  basic_auth = { realm = "r", forward_authorization = true, users = { u = "` + bcryptHash + `" } },
  rate_limit = { rate = 5, key = "header", header = "X-Key" } } ]
`
	cfg, err := Load(writeConfig(t, text))
	if err != nil {
		t.Fatal(err)
	}
	var c *order.Cluster
	var f *order.HTTPFrontend
	for _, o := range cfg.Orders {
		switch o := o.(type) {
		case order.AddCluster:
			c = &o.Cluster
		case order.AddHTTPFrontend:
			f = &o.HTTPFrontend
		}
	}
	wantC := order.Cluster{ID: "shop", LoadBalancing: order.Maglev,
		HashKey:     &order.HashKey{Source: "header", Name: "X-User"},
		RateLimit:   &order.RateLimit{Rate: 100, Period: order.Duration(time.Minute), Burst: 150, Key: "route", MaxKeys: 2048},
		Retry:       &order.Retry{Attempts: 3, OnStatus: []int{502, 504}, BudgetPercent: 10, Backoff: order.Duration(50 * time.Millisecond)},
		Compression: &order.Compression{Algorithms: []string{"gzip", "br"}, Types: []string{"text/*"}, MinSize: 200, GzipLevel: 7},
		HealthCheck: &order.HealthCheck{FailOpen: true}}
	if c == nil || !reflect.DeepEqual(*c, wantC) {
		t.Errorf("cluster %+v\nwant %+v", c, wantC)
	}
	wantAuth := &order.BasicAuth{Realm: "r", ForwardAuthorization: true, Users: map[string]string{"u": bcryptHash}}
	wantLimit := &order.RateLimit{Rate: 5, Key: "header", Header: "X-Key"}
	if f == nil || !reflect.DeepEqual(f.BasicAuth, wantAuth) || !reflect.DeepEqual(f.RateLimit, wantLimit) {
		t.Errorf("frontend %+v", f)
	}
}
