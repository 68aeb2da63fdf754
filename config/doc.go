// Package config reads Sluice's configuration file (SPEC §4) and turns it
// into the proxy's global settings and the orders that build its initial
// state.
//
// [Load] does all of it: it decodes the TOML file, reads the files it names
// (custom answers, certificates, keys, chains), checks every value, then
// applies the orders it generated to a fresh state.State, exactly as the
// proxy will, so that a file Load accepts starts a proxy. `sluice config
// check` and `sluice start` both call it.
//
// # The file
//
// Top-level keys: command_socket (default "sluice.sock"), saved_state,
// log_level (trace, debug, info, warn, error; default info), access_log
// ("stdout" (default), "stderr", "off", a syslog URL such as
// "syslog://127.0.0.1:514", or a file path), max_connections
// (default 10000), front_timeout (60s), back_timeout (30s), connect_timeout
// (3s), request_timeout (10s), and Sluice's additions: shutdown_timeout
// (30s; how long a soft shutdown lets requests in flight finish),
// keepalive_timeout (10s; how long a keep-alive connection may wait for
// its next request, at most front_timeout), max_connections_per_ip (0, no
// cap; connections at once from one client IP on a listener),
// tunnel_timeout (1h; the idle timeout of upgraded connections such as
// WebSocket tunnels), max_head_bytes (32768) and max_header_fields (100);
// these five are the defaults of the listeners' own; resolve_interval (30s;
// how often backend host names are resolved again), max_idle_per_backend
// (1024; idle HTTP/1.1 connections kept per backend, 0: none),
// bulk_buffers (512; 64 KiB buffers long response bodies are copied
// through, in use at once, 0: none, bodies through 16 KiB). Durations are
// strings such as "30s", "1m30s" or "500ms", or integers counting seconds;
// they must be positive and at most a day. An explicit zero is refused:
// omit a key to get its default (max_connections_per_ip = 0 is allowed:
// no cap at the top level, the top level's in a listener).
//
// [metrics]: prometheus_address and statsd_address, host:port or "".
//
// [admin]: address (host:port of the admin HTTP API; off when absent),
// token_file or token_env (the write token), read_only_token_file or
// read_only_token_env; an address off loopback needs a token (see Admin).
// [tracing] (absent: off): endpoint, protocol, ratio, service_name,
// headers, insecure, ca_file, cert_file, key_file, queue_size; see
// decodeTracing.
//
// [[listeners]]: protocol (http, https, tcp), address (ip:port, host:port
// bound to the name's first address, or :port for every interface; the
// address as written is the listener's key, which frontends name), expect_proxy
// (a PROXY protocol v1 or v2 header required on every connection),
// sticky_name, tls_versions, the four timeouts, keepalive_timeout (http
// and https), max_connections_per_ip, tunnel_timeout, max_head_bytes,
// max_header_fields, answer_NNN for NNN in 301, 400, 403, 404, 408, 413,
// 421, 429, 502, 503, 504 (a file: a complete HTTP/1.x response or an HTML
// body, UTF-8), and on https listeners the default certificate:
// certificate, key, certificate_chain (files), hsts (see below), and
// cipher_suites, curves, session_ticket_lifetime, ocsp_stapling (see tls.go). Every
// listener is activated
// once the rest of the state is in place.
//
// [clusters.ID]: protocol (http, tcp), load_balancing (round_robin, random,
// least_loaded, power_of_two), sticky_session, https_redirect, send_proxy
// (a PROXY protocol v2 header at the start of every backend connection),
// http2 (cleartext HTTP/2 to the backends; the earlier spelling of
// backend_protocol = "h2"), backend_protocol (http1, h2 or auto: the HTTP
// version spoken to the backends, see order.BackendProtocol), hsts, health_check (a table:
// type, path, host, expected_status, interval, timeout, rise, fall),
// answer_NNN, TLS to the backends (tls = true, tls_ca, tls_server_name,
// tls_insecure_skip_verify, tls_client_certificate, tls_client_key; see
// tls.go), and two arrays of tables. hsts, on a cluster or an https
// listener, is a table { max_age = SECONDS, include_subdomains = BOOL,
// preload = BOOL } (max_age required); the cluster's wins. The arrays:
//
//   - frontends: address (of a declared listener, whose protocol decides
//     the kind of the frontend), and on http and https listeners hostname,
//     path, path_type (prefix, equals, regex), method, deny. On https
//     listeners a frontend may also carry a certificate (certificate, key,
//     certificate_chain, names): it is added to that listener. A frontend
//     on a tcp listener is its address and an optional hostname, a server
//     name (SNI) routed without terminating TLS; the one without hostname
//     is the listener's default route. "deny = true" makes a deny
//     frontend: it answers 403 and routes to no cluster, whichever cluster
//     lists it.
//   - backends: id, address (ip:port or host:port; a name is resolved when
//     the proxy starts, which fails if it does not resolve, and again every
//     resolve_interval; config check resolves nothing), weight (1 to 1000; default 100),
//     backup, sticky_id.
//
// Relative paths resolve against the folder of the configuration file,
// not the working directory. Files it names are read whole and may be at
// most 1 MiB. A certificate must parse, must not have expired and must
// match its key.
//
// # Errors
//
// Unknown keys are errors, as are values of the wrong type. Load collects
// every problem it can rather than stopping at the first, sorted by
// position, and skips the orders that depend on a refused listener or
// cluster so that one mistake is reported once. Each problem is an [*Error]
// with the file, the line and column (in bytes) of the value, key or table
// at fault, and a message that starts with the TOML path of that key
// ("clusters.shop.backends[1].address: ...").
//
// # TOML library
//
// The package uses github.com/pelletier/go-toml/v2. Its decoder reports
// syntax errors, duplicate keys and redefined tables with a line and
// column, and its unstable parser gives the byte range of every key and
// value, from which this package builds a positioned tree (tree.go); values
// are then read from that tree key by key (table.go), so that an unknown
// key, a wrong type or a refused order can be placed exactly, which
// struct-tag decoding (go-toml's DisallowUnknownFields, or BurntSushi/toml's
// Undecoded keys, which carry no position) cannot do for every case.
package config
