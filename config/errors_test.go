package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// base is a valid configuration that the error cases extend.
const base = `
[[listeners]]
protocol = "http"
address = "127.0.0.1:8080"

[[listeners]]
protocol = "https"
address = "127.0.0.1:8443"
`

// errCase is a configuration with one problem and where it must be
// reported.
type errCase struct {
	name      string
	text      string
	line, col int      // 0: no position expected
	msg       []string // substrings of the message
}

var errCases = []errCase{
	{"etcd without endpoints", "[provider.etcd]\nprefix = \"/f/\"\n", 1, 11, []string{"provider.etcd", "endpoints is required"}},
	{"etcd endpoint not a URL", "[provider.etcd]\nendpoints = [\"127.0.0.1:2379\"]\n", 2, 14, []string{"provider.etcd.endpoints", "not an etcd client URL"}},
	{"etcd prefix relative", "[provider.etcd]\nendpoints = [\"http://127.0.0.1:2379\"]\nprefix = \"sluice\"\n", 3, 10, []string{"provider.etcd.prefix", "starts with /"}},
	{"etcd key without cert", "[provider.etcd]\nendpoints = [\"https://127.0.0.1:2379\"]\nkey_file = \"k.pem\"\n", 3, 12, []string{"provider.etcd.key_file", "go together"}},
	{"etcd user without password", "[provider.etcd]\nendpoints = [\"http://127.0.0.1:2379\"]\nusername = \"u\"\n", 3, 12, []string{"provider.etcd.username", "go together"}},
	{"etcd unknown key", "[provider.etcd]\nendpoints = [\"http://127.0.0.1:2379\"]\nendpoint = \"x\"\n", 3, 1, []string{"endpoint"}},
	{"unknown cipher suite", base + "cipher_suites = [\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\", \"ECDHE-RSA-AES128-GCM-SHA256\"]\n", 9, 59,
		[]string{"listeners[1].cipher_suites[1]", `"ECDHE-RSA-AES128-GCM-SHA256" is not a cipher suite; one of TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`}},
	{"CBC cipher suite", base + "cipher_suites = [\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\"]\n", 9, 18,
		[]string{"listeners[1].cipher_suites[0]", "only ECDHE suites with an AEAD"}},
	{"unknown curve", base + "curves = [\"X25519\", \"secp224r1\"]\n", 9, 21, []string{"listeners[1].curves[1]", `"secp224r1" is not a curve`}},
	{"ticket lifetime too long", base + "session_ticket_lifetime = \"1d\"\n", 9, 27, []string{"session_ticket_lifetime"}},
	{"repeated curve", base + "curves = [\"X25519\", \"P-256\", \"X25519\"]\n", 9, 30, []string{"listeners[1].curves[2]", `"X25519" is listed twice`}},
	{"tls_ca without tls", "[clusters.api]\ntls_ca = \"certs/chain.pem\"\n", 2, 10, []string{"clusters.api.tls_ca", "needs tls = true"}},
	{"tls_ca holds a key", "[clusters.api]\ntls = true\ntls_ca = \"certs/shop.key\"\n", 3, 10, []string{"clusters.api.tls_ca", "holds a", "PRIVATE KEY", "certificates only"}},
	{"tls client key mismatch", "[clusters.api]\ntls = true\ntls_client_certificate = \"certs/shop.pem\"\ntls_client_key = \"certs/other.key\"\n", 4, 18,
		[]string{"clusters.api.tls_client_key", "does not match"}},
	{"tls client certificate alone", "[clusters.api]\ntls = true\ntls_client_certificate = \"certs/shop.pem\"\n", 3, 26,
		[]string{"clusters.api.tls_client_certificate", "go together"}},
	{"tls on a tcp cluster", "[clusters.db]\nprotocol = \"tcp\"\ntls = true\n", 3, 7, []string{"clusters.db.tls", "for http clusters"}},
	{"bad tls server name", "[clusters.api]\ntls = true\ntls_server_name = \"a b\"\n", 3, 19, []string{"clusters.api.tls_server_name", "not a host name"}},
	{"negative max_idle_per_backend", "max_idle_per_backend = -1\n", 1, 24, []string{"max_idle_per_backend"}},
	{"negative bulk_buffers", "bulk_buffers = -1\n", 1, 16, []string{"bulk_buffers"}},
	{"bad backend_protocol", "[clusters.api]\nbackend_protocol = \"h3\"\n", 2, 20, []string{"clusters.api.backend_protocol", `"h3" is not http1, h2 or auto`}},
	{"backend_protocol auto without tls", "[clusters.api]\nbackend_protocol = \"auto\"\n", 2, 20, []string{"clusters.api.backend_protocol", "needs tls"}},
	{"backend_protocol against http2", "[clusters.api]\nhttp2 = true\ntls = true\nbackend_protocol = \"auto\"\n", 4, 20,
		[]string{"clusters.api.backend_protocol", "contradicts"}},
	{"client_auth without client_ca", base + "client_auth = \"required\"\n", 9, 15, []string{"listeners[1].client_auth", "needs client_ca"}},
	{"bad client_auth", base + "client_auth = \"yes\"\nclient_ca = \"certs/chain.pem\"\n", 9, 15, []string{"listeners[1].client_auth", `"yes" is not required, optional or none`}},
	{"client_ca holds a key", base + "client_auth = \"optional\"\nclient_ca = \"certs/shop.key\"\n", 10, 13, []string{"listeners[1].client_ca", "certificates only"}},
	{"ticket lifetime over 12h", base + "session_ticket_lifetime = \"13h\"\n", 9, 27, []string{"listeners[1].session_ticket_lifetime", "outside 1m0s..12h"}},
	{"ocsp_stapling on an http listener", "[[listeners]]\nprotocol = \"http\"\naddress = \"127.0.0.1:80\"\nocsp_stapling = false\n", 4, 17,
		[]string{"listeners[0].ocsp_stapling", "needs an https listener"}},
	{"ocsp_stapling not a boolean", base + "ocsp_stapling = \"yes\"\n", 9, 17, []string{"listeners[1].ocsp_stapling", "expected"}},
	{"curves on an http listener", "[[listeners]]\nprotocol = \"http\"\naddress = \"127.0.0.1:80\"\ncurves = [\"X25519\"]\n", 4, 11,
		[]string{"listeners[0].curves", "need an https listener"}},
	{"syntax", "log_level = \"info\"\nmax_connections = = 3\n", 2, 19, []string{"unexpected character"}},
	{"unterminated string", "log_level = \"info\n", 1, 18, []string{"string"}},
	{"duplicate key", "log_level = \"info\"\nlog_level = \"warn\"\n", 2, 1, []string{"already defined"}},
	{"unknown top-level key", "log_level = \"info\"\n  colour = \"blue\"\n", 2, 3, []string{`unknown key "colour" at the top level`}},
	{"admin off loopback without token", "[admin]\naddress = \"0.0.0.0:9090\"\n", 2, 11,
		[]string{"admin.address", "not a loopback address: a token is required"}},
	{"admin on every interface without token", "[admin]\naddress = \":9090\"\n", 2, 11, []string{"admin.address", "a token is required"}},
	{"admin token twice", "[admin]\naddress = \"127.0.0.1:9090\"\ntoken_file = \"t\"\ntoken_env = \"T\"\n", 4, 13,
		[]string{"admin.token_env", "token_file is set"}},
	{"admin read-only token alone", "[admin]\naddress = \"127.0.0.1:9090\"\nread_only_token_env = \"T\"\n", 3, 23,
		[]string{"admin.read_only_token_env", "read-only token needs a write token"}},
	{"admin bad address", "[admin]\naddress = \"localhost\"\n", 2, 11, []string{"admin.address", "not host:port"}},
	{"unknown admin key", "[admin]\naddress = \"127.0.0.1:9090\"\ntoken = \"secret\"\n", 3, 1, []string{`unknown key "token"`}},
	{"unknown metrics key", "[metrics]\nprometheus = \"127.0.0.1:9100\"\n", 2, 1, []string{`unknown key "prometheus"`, "metrics"}},
	{"unknown listener key", base + "colour = 1\n", 9, 1, []string{`unknown key "colour"`, "listeners[1]"}},
	{"unknown frontend key", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\", hostnme = \"x\" } ]\n",
		10, 66, []string{`unknown key "hostnme"`, "clusters.shop.frontends[0]"}},
	{"unknown cluster key", "[clusters.shop]\nprotocol = \"http\"\nhealth = true\n", 3, 1, []string{`unknown key "health" in clusters.shop`}},
	{"unknown backend key", "[clusters.shop]\n[[clusters.shop.backends]]\nid = \"b\"\naddress = \"127.0.0.1:1\"\nport = 1\n", 5, 1,
		[]string{`unknown key "port" in clusters.shop.backends[0]`}},
	{"socket path too long", "command_socket = \"/" + strings.Repeat("s", 120) + "\"\n", 1, 18, []string{"command_socket", "too long for a unix socket"}},
	{"unknown answer code", base + "answer_999 = \"errors/404.html\"\n", 9, 1, []string{`unknown key "answer_999"`}},
	{"bad listener address", "[[listeners]]\nprotocol = \"http\"\naddress = \"local host:80\"\n", 3, 11,
		[]string{"listeners[0].address", "host must be an IP address or a host name"}},
	{"listener address not host:port", "[[listeners]]\nprotocol = \"http\"\naddress = \"127.0.0.1\"\n", 3, 11,
		[]string{"listeners[0].address", "not host:port"}},
	{"listener without address", "[[listeners]]\nprotocol = \"http\"\n", 1, 3, []string{"listeners[0]: address: missing"}},
	{"keepalive_timeout on a tcp listener", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:80\"\nkeepalive_timeout = \"5s\"\n", 4, 21,
		[]string{"listeners[0].keepalive_timeout", "tcp listener"}},
	{"negative max_connections_per_ip", "max_connections_per_ip = -1\n", 1, 26, []string{"max_connections_per_ip", "outside 0.."}},
	{"bad protocol", "[[listeners]]\nprotocol = \"htp\"\naddress = \"127.0.0.1:80\"\n", 2, 12, []string{"listeners[0].protocol", `"htp"`}},
	{"duplicate listener", base + "\n[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:8080\"\n", 12, 11,
		[]string{"listeners[2].address", "already declared at line 4"}},
	{"duplicate listener, other spelling", "[[listeners]]\nprotocol = \"http\"\naddress = \"[::1]:80\"\n[[listeners]]\nprotocol = \"http\"\naddress = \"[0::1]:80\"\n",
		6, 11, []string{"already declared at line 3"}},
	{"frontend on an unknown listener", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:9999\", hostname = \"a.test\" } ]\n",
		10, 27, []string{"clusters.shop.frontends[0].address", "no listener on 127.0.0.1:9999"}},
	{"frontend with a bad address", base + "[clusters.shop]\nfrontends = [ { address = \"nowhere\", hostname = \"a.test\" } ]\n",
		10, 27, []string{"clusters.shop.frontends[0].address", "not host:port"}},
	{"frontend without hostname", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\" } ]\n",
		10, 15, []string{"clusters.shop.frontends[0]: hostname: missing"}},
	{"certificate on an http listener", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"a.test\", certificate = \"certs/shop.pem\", key = \"certs/shop.key\" } ]\n",
		10, 80, []string{"certificate", "needs an https listener"}},
	{"missing certificate file", base + "certificate = \"certs/nope.pem\"\nkey = \"certs/default.key\"\n", 9, 15,
		[]string{"listeners[1].certificate", "nope.pem", "no such file"}},
	{"unreadable key", base + "certificate = \"certs/default.pem\"\nkey = \"certs\"\n", 10, 7,
		[]string{"listeners[1].key", "certs", "not a regular file"}},
	{"key is not PEM", base + "certificate = \"certs/default.pem\"\nkey = \"errors/404.html\"\n", 10, 7,
		[]string{"listeners[1].key", "404.html", "PEM"}},
	{"key not matching the certificate", base + "certificate = \"certs/default.pem\"\nkey = \"certs/other.key\"\n", 10, 7,
		[]string{"listeners[1].key", "other.key", "does not match"}},
	{"expired certificate", base + "certificate = \"certs/expired.pem\"\nkey = \"certs/expired.key\"\n", 9, 15,
		[]string{"listeners[1].certificate", "expired.pem", "expired on 2020-01-01"}},
	{"certificate without key", base + "certificate = \"certs/default.pem\"\n", 9, 15, []string{"needs key"}},
	{"frontend certificate expired", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8443\", hostname = \"a.test\",\n  certificate = \"certs/expired.pem\", key = \"certs/expired.key\" } ]\n",
		11, 17, []string{"clusters.shop.frontends[0].certificate", "expired"}},
	{"bad chain", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8443\", hostname = \"a.test\",\n  certificate = \"certs/shop.pem\", key = \"certs/shop.key\", certificate_chain = \"certs/shop.key\" } ]\n",
		11, 79, []string{"certificate_chain", "PRIVATE KEY"}},
	{"bad duration", "front_timeout = \"60 seconds\"\n", 1, 17, []string{"front_timeout", `"60 seconds" is not a duration`}},
	{"upgrade timeout too long", "upgrade_timeout = \"11m\"\n", 1, 19, []string{"upgrade_timeout", "longer than 10m0s"}},
	{"negative duration", "back_timeout = -5\n", 1, 16, []string{"back_timeout", "not a positive duration"}},
	{"zero duration", "[[listeners]]\nprotocol = \"http\"\naddress = \"127.0.0.1:80\"\nconnect_timeout = \"0s\"\n", 4, 19,
		[]string{"listeners[0].connect_timeout", "not a positive duration"}},
	{"float duration", "request_timeout = 1.5\n", 1, 19, []string{"request_timeout", "found a float"}},
	{"bad log_level", "log_level = \"verbose\"\n", 1, 13, []string{"log_level", `"verbose" is not`, `"trace"`}},
	{"wrong type", "max_connections = \"many\"\n", 1, 19, []string{"max_connections", "expected an integer, found a string"}},
	{"max_connections out of range", "max_connections = 0\n", 1, 19, []string{"max_connections", "outside 1.."}},
	{"bad load_balancing", "[clusters.shop]\nload_balancing = \"fastest\"\n", 2, 18,
		[]string{"clusters.shop.load_balancing", `"fastest"`, "round_robin"}},
	{"bad cluster id", "[clusters.\"a b\"]\n", 1, 11, []string{`clusters."a b": id: "a b": only letters`}},
	{"backend address not host:port", "[clusters.shop]\nbackends = [ { id = \"b1\", address = \"db..internal:5432\" } ]\n", 2, 37,
		[]string{"clusters.shop.backends[0].address", "host must be an IP address or a host name"}},
	{"backend address without host", "[clusters.shop]\nbackends = [ { id = \"b1\", address = \":5432\" } ]\n", 2, 37,
		[]string{"clusters.shop.backends[0].address", "the host is missing"}},
	{"backend weight zero", "[clusters.shop]\nbackends = [ { id = \"b1\", address = \"127.0.0.1:1\", weight = 0 } ]\n", 2, 61,
		[]string{"clusters.shop.backends[0].weight", "outside 1..1000"}},
	{"answer file missing", base + "answer_404 = \"errors/none.html\"\n", 9, 14,
		[]string{"listeners[1].answer_404", "none.html", "no such file"}},
	{"bad complete answer", "[clusters.shop]\nanswer_503 = \"errors/broken.http\"\n", 2, 14,
		[]string{"clusters.shop.answer_503", "broken.http", "empty line"}},
	{"bad metrics address", "[metrics]\nstatsd_address = \":8125\"\n", 2, 18, []string{"metrics.statsd_address", "host is missing"}},
	{"tcp frontend with a bad hostname", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:5432\"\n[clusters.db]\nprotocol = \"tcp\"\nfrontends = [ { address = \"127.0.0.1:5432\", hostname = \"db:1\" } ]\n",
		6, 56, []string{"clusters.db.frontends[0].hostname", "no port"}},
	{"tcp frontend with hostname *", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:5432\"\n[clusters.db]\nprotocol = \"tcp\"\nfrontends = [ { address = \"127.0.0.1:5432\", hostname = \"*\" } ]\n",
		6, 56, []string{"hostname", "default route"}},
	{"tcp frontend with deny", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:5432\"\n[clusters.db]\nprotocol = \"tcp\"\nfrontends = [ { address = \"127.0.0.1:5432\", hostname = \"a.test\", deny = true } ]\n",
		6, 73, []string{"deny", "no meaning on tcp listener"}},
	{"two tcp clusters for one server name", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:5432\"\n[clusters.a]\nprotocol = \"tcp\"\nfrontends = [ { address = \"127.0.0.1:5432\", hostname = \"a.test\" } ]\n[clusters.b]\nprotocol = \"tcp\"\nfrontends = [ { address = \"127.0.0.1:5432\", hostname = \"A.test\" } ]\n",
		9, 27, []string{"server name a.test already sends to cluster"}},
	{"http cluster on tcp listener", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"127.0.0.1:5432\"\n[clusters.db]\nfrontends = [ { address = \"127.0.0.1:5432\" } ]\n",
		5, 27, []string{"is tcp but cluster \"db\" is http"}},
	{"conflicting frontends", base + "[clusters.a]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"x.test\" } ]\n[clusters.b]\nfrontends = [ { address = \"127.0.0.1:8080\", hostname = \"x.test\" } ]\n",
		12, 15, []string{"clusters.b.frontends[0]", "already exists"}},
	{"listeners not tables", "listeners = [1]\n", 1, 14, []string{"listeners[0]", "expected a table"}},
	{"acme without [acme]", base + "acme = true\n", 9, 8, []string{"listeners[1].acme", "needs an [acme] section"}},
	{"acme on an http listener", "[acme]\nagree_terms = true\n[[listeners]]\nprotocol = \"http\"\naddress = \"127.0.0.1:80\"\nacme = true\n", 6, 8,
		[]string{"listeners[0].acme", "need an https listener"}},
	{"acme without agree_terms", "[acme]\nemail = \"ops@example.com\"\n", 1, 2, []string{"acme", "agree_terms = true is required"}},
	{"acme terms refused", "[acme]\nagree_terms = false\n", 2, 15, []string{"acme.agree_terms", "agree_terms = true is required"}},
	{"acme bad email", "[acme]\nagree_terms = true\nemail = \"ops at example\"\n", 3, 9, []string{"acme.email", "not an email address"}},
	{"acme email with a name", "[acme]\nagree_terms = true\nemail = \"Ops <ops@example.com>\"\n", 3, 9, []string{"acme.email", "not an email address"}},
	{"acme plain http directory", "[acme]\nagree_terms = true\ndirectory = \"http://ca.test/dir\"\n", 3, 13, []string{"acme.directory", "not an https:// URL"}},
	{"acme unknown challenge", "[acme]\nagree_terms = true\nchallenges = [\"http-01\", \"dns-01\"]\n", 3, 26,
		[]string{"acme.challenges[1]", `"dns-01" is not tls-alpn-01 or http-01`}},
	{"acme challenge twice", "[acme]\nagree_terms = true\nchallenges = [\"http-01\", \"http-01\"]\n", 3, 26,
		[]string{"acme.challenges[1]", "listed twice"}},
	{"acme no challenge", "[acme]\nagree_terms = true\nchallenges = []\n", 3, 1, []string{"acme.challenges", "empty"}},
	{"acme ca holds a key", "[acme]\nagree_terms = true\nca = \"certs/shop.key\"\n", 3, 6, []string{"acme.ca", "certificates only"}},
	{"acme empty storage", "[acme]\nagree_terms = true\nstorage = \"\"\n", 3, 11, []string{"acme.storage", "empty path"}},
	{"frontend acme without [acme]", base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8443\", hostname = \"a.test\", acme = true } ]\n",
		10, 73, []string{"clusters.shop.frontends[0].acme", "needs an [acme] section"}},
	{"frontend acme on a wildcard", "[acme]\nagree_terms = true\n" + base + "[clusters.shop]\nfrontends = [ { address = \"127.0.0.1:8443\", hostname = \"*.test\", acme = true } ]\n",
		12, 73, []string{"clusters.shop.frontends[0].acme", "needs an exact host name"}},
	{"acme unknown key", "[acme]\nagree_terms = true\nemail_address = \"ops@example.com\"\n", 3, 1, []string{`unknown key "email_address"`, "acme"}},
	{"tracing without endpoint", "[tracing]\nratio = 0.5\n", 1, 2, []string{"tracing", "endpoint is required"}},
	{"tracing ratio over 1", "[tracing]\nendpoint = \"http://127.0.0.1:4318\"\nratio = 1.5\n", 3, 9, []string{"tracing.ratio", "not between 0 and 1"}},
	{"tracing ratio a string", "[tracing]\nendpoint = \"http://127.0.0.1:4318\"\nratio = \"1%\"\n", 3, 9, []string{"tracing.ratio", "expected a number"}},
	{"tracing in clear to a remote host", "[tracing]\nendpoint = \"http://otel.example.com:4318\"\n", 2, 12,
		[]string{"tracing.endpoint", "in clear", "insecure = true"}},
	{"tracing endpoint without scheme", "[tracing]\nendpoint = \"127.0.0.1:4318\"\n", 2, 12, []string{"tracing.endpoint"}},
	{"tracing grpc with a path", "[tracing]\nendpoint = \"https://otel.example.com/v1/traces\"\nprotocol = \"grpc\"\n", 2, 12,
		[]string{"tracing.endpoint", "no path"}},
	{"tracing unknown protocol", "[tracing]\nendpoint = \"http://127.0.0.1\"\nprotocol = \"http/json\"\n", 3, 12, []string{"tracing.protocol", "http/json"}},
	{"tracing bad header", "[tracing]\nendpoint = \"http://127.0.0.1\"\nheaders = { \"x key\" = \"1\" }\n", 3, 23, []string{"tracing.headers", "not a token"}},
	{"tracing ca_file over http", "[tracing]\nendpoint = \"http://127.0.0.1\"\nca_file = \"certs/chain.pem\"\n", 3, 11, []string{"tracing.ca_file", "https endpoint"}},
	{"tracing unknown key", "[tracing]\nendpoint = \"http://127.0.0.1\"\nsampling = 1\n", 3, 1, []string{`unknown key "sampling" in tracing`}},
}

func TestLoadErrors(t *testing.T) {
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, c.text)
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded (%d orders), want an error", len(cfg.Orders))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if es, ok := err.(Errors); ok {
				t.Fatalf("want one problem, got %d:\n%v", len(es), es)
			}
			t.Log(err)
			if e.File != path {
				t.Errorf("File = %q, want %q", e.File, path)
			}
			if e.Line != c.line || e.Column != c.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", e.Line, e.Column, c.line, c.col, err)
			}
			for _, m := range c.msg {
				if !strings.Contains(e.Msg, m) {
					t.Errorf("message %q does not contain %q", e.Msg, m)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.toml")
	_, err := Load(path)
	var e *Error
	if !errors.As(err, &e) || e.File != path || e.Line != 0 || !strings.Contains(e.Msg, "no such file") {
		t.Fatalf("err = %v", err)
	}
}

// TestLoadCollectsErrors checks that Load reports every independent
// problem, sorted by position, and none caused by an earlier one: the
// frontends and backends of a refused listener or cluster are skipped.
func TestLoadCollectsErrors(t *testing.T) {
	text := `log_level = "loud"                            # 1: bad log_level
[[listeners]]
protocol = "gopher"                           # 3: bad protocol
address = "127.0.0.1:8080"
[[listeners]]
protocol = "http"
address = "127.0.0.1:8081"
[clusters."bad id"]                           # 8: bad cluster id
frontends = [ { address = "127.0.0.1:8081", hostname = "a.test" } ]
backends = [ { id = "b", address = "127.0.0.1:1" } ]
[clusters.shop]
frontends = [
  { address = "127.0.0.1:8080", hostname = "on-refused-listener.test" },
  { address = "127.0.0.1:8081", hostname = "ok.test", colour = 1 },   # 14: unknown key
]
backends = [ { id = "b", address = "-backend:1" } ]                    # 16: bad address
`
	path := writeConfig(t, text)
	_, err := Load(path)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v (%T), want Errors", err, err)
	}
	want := []struct {
		line int
		msg  string
	}{
		{1, `log_level: "loud"`},
		{3, `listeners[0].protocol: "gopher"`},
		{8, `clusters."bad id": id:`},
		{14, `unknown key "colour" in clusters.shop.frontends[1]`},
		{16, `clusters.shop.backends[0].address: "-backend:1"`},
	}
	if len(es) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(es), len(want), err)
	}
	for i, w := range want {
		if es[i].Line != w.line || !strings.Contains(es[i].Msg, w.msg) || es[i].File != path {
			t.Errorf("problem %d = %v, want line %d with %q", i, es[i], w.line, w.msg)
		}
	}
	if got := strings.Count(err.Error(), "\n"); got != len(want)-1 {
		t.Errorf("Error() has %d newlines, want one problem per line:\n%v", got, err)
	}
}

// TestLoadNotUTF8Answer checks that an answer must be text.
func TestLoadNotUTF8Answer(t *testing.T) {
	path := writeConfig(t, "[clusters.shop]\nanswer_404 = \"bin.html\"\n")
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "bin.html"), []byte{0xff, 0xfe, 'x'}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || !strings.Contains(e.Msg, "not UTF-8") {
		t.Fatalf("err = %v", err)
	}
}
