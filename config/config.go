package config

import (
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
	"github.com/sluiceproxy/sluice/tracing"
)

// Config is a configuration file turned into the proxy's settings and the
// orders that build its initial state.
type Config struct {
	// Path is the configuration file, absolute.
	Path string
	// CommandSocket is the unix socket of the command interface, absolute.
	// Key command_socket; default "sluice.sock" next to the file.
	CommandSocket string
	// SavedState is the state file loaded at start if present, absolute;
	// "" when the key saved_state is absent.
	SavedState string
	// LogLevel is the level of the proxy's logs. Key log_level: "trace"
	// (slog.LevelDebug-4), "debug", "info", "warn" or "error"; default info.
	LogLevel slog.Level
	// AccessLog is where access log lines go: "stdout", "stderr", "off", a
	// syslog URL ("syslog://host:port" over UDP, "syslog+tcp://host:port",
	// "syslog+unix:///dev/log", with ?facility=local0&tag=sluice; see
	// accesslog.ParseTarget; any other "scheme://" is refused) or an
	// absolute file path. Key access_log; default "stdout"; a relative path
	// resolves against the file's folder.
	AccessLog string
	// AccessLogFormat is the format of access log lines: "text" (default;
	// one line of space-separated fields) or "json" (one object per line).
	// Key access_log_format.
	AccessLogFormat accesslog.Format
	// Proxy holds the proxy-wide settings, every default filled in:
	// MaxConnections (max_connections, default 10000), FrontTimeout
	// (front_timeout, 60s), BackTimeout (back_timeout, 30s),
	// ConnectTimeout (connect_timeout, 3s), RequestTimeout
	// (request_timeout, 10s), KeepAliveTimeout (keepalive_timeout, 10s:
	// an idle keep-alive connection between requests, at most
	// front_timeout), MaxConnectionsPerIP (max_connections_per_ip, 0: no
	// cap), TunnelTimeout (tunnel_timeout, 1h: an idle
	// upgraded connection), MaxHeadBytes (max_head_bytes, 32768 bytes),
	// MaxHeaderFields (max_header_fields, 100), ResolveInterval
	// (resolve_interval, 30s: how often backend host names are resolved
	// again), IdleBackendTimeout (idle_backend_timeout, 10s: a pooled
	// backend connection unused that long is closed: HTTP/1.1, or HTTP/2
	// with no stream open),
	// MaxIdlePerBackend (max_idle_per_backend, 1024; 0 in the file is -1
	// here: no pooling), BulkBuffers (bulk_buffers, 512; 0 in
	// the file is -1 here: none) and ShutdownGrace (equal to
	// Config.ShutdownGrace). Listeners is left empty: the listeners are in
	// Orders.
	Proxy proxy.Config
	// Metrics says where metrics are published.
	Metrics Metrics
	// Admin is the admin HTTP API's listener; off unless [admin] address
	// is set.
	Admin Admin
	// Tracing is the [tracing] table (see decodeTracing), nil when absent:
	// tracing off.
	Tracing *tracing.Config
	// ShutdownGrace is how long a soft shutdown lets requests in flight
	// finish before closing what remains. Key shutdown_timeout (a Sluice
	// addition to SPEC §4); default 30s.
	ShutdownGrace time.Duration
	// UpgradeTimeout bounds a binary upgrade (sluice upgrade, SIGUSR2):
	// the new process has that long to take the sockets and the state and
	// say it serves, else it is killed and this one serves on. Key
	// upgrade_timeout; default 10s; the upgrade order's --timeout
	// overrides it.
	UpgradeTimeout time.Duration
	// Etcd, when the [provider.etcd] table is present, makes the daemon
	// follow etcd: the configuration is what etcd holds under its prefix
	// (fleet mode, docs/fleet.md; keys in provider.go). nil without it.
	Etcd *fleet.ClientConfig
	// Orders build the initial state in an empty proxy, in an order that
	// satisfies every reference: add the listeners (inactive), the
	// certificates, the clusters, the frontends and the backends, then
	// activate the listeners. They all apply to a fresh state.State.
	Orders []order.Order
}

// Metrics is the [metrics] table.
type Metrics struct {
	// Enabled says whether requests are counted at all. Key enabled;
	// default true. Off, the metrics order is refused and nothing is
	// served or sent.
	Enabled bool
	// PrometheusAddress is the host:port on which /metrics is served; the
	// host may be empty (all interfaces) or a name. Key prometheus_address;
	// "" (the default) serves nothing.
	PrometheusAddress string
	// StatsdAddress is the host:port (UDP) statsd metrics are sent to; the
	// host is required and may be a name. Key statsd_address; "" (the
	// default) sends nothing.
	StatsdAddress string
}

// Admin is the [admin] table: the admin HTTP API (package admin,
// docs/admin-api.md). Like [metrics], it is a setting of the process, read
// at start: not an order, not in the saved state; a reload leaves it as it
// is, a restart or an upgrade (the new process reads the file) applies it.
type Admin struct {
	// Address is the host:port the API listens on. Key address; "" (the
	// default) serves nothing. Off loopback (127.0.0.0/8, ::1,
	// localhost) a token is required: the file is refused without one.
	Address string
	// TokenFile and TokenEnv give the write token: the content of a file
	// (absolute; mode 0600 or stricter, surrounding spaces trimmed) or of
	// an environment variable read at start, at least 16 bytes. Keys
	// token_file and token_env; at most one.
	TokenFile, TokenEnv string
	// ReadOnlyTokenFile and ReadOnlyTokenEnv give the read-only token
	// (GET only, no private key), the same way. Keys read_only_token_file
	// and read_only_token_env; at most one, and only with a write token.
	ReadOnlyTokenFile, ReadOnlyTokenEnv string
}

// The defaults of the top-level keys.
const (
	DefaultCommandSocket    = "sluice.sock"    // command_socket, next to the file
	DefaultAccessLog        = "stdout"         // access_log
	DefaultMaxConnections   = 10000            // max_connections, client connections at once
	DefaultFrontTimeout     = 60 * time.Second // front_timeout
	DefaultBackTimeout      = 30 * time.Second // back_timeout
	DefaultConnectTimeout   = 3 * time.Second  // connect_timeout
	DefaultRequestTimeout   = 10 * time.Second // request_timeout
	DefaultKeepAliveTimeout = 10 * time.Second // keepalive_timeout, idle keep-alive connection between requests
	DefaultTunnelTimeout    = time.Hour        // tunnel_timeout, idle upgraded connection (WebSocket)
	DefaultMaxHeadBytes     = 32 << 10         // max_head_bytes, bytes of a request head
	DefaultMaxHeaderFields  = 100              // max_header_fields, fields of a request head
	DefaultShutdownGrace    = 30 * time.Second // shutdown_timeout
	DefaultResolveInterval  = 30 * time.Second // resolve_interval, of backend host names
	// idle_backend_timeout: how long a pooled backend connection may stay
	// unused (HTTP/2: with no stream open) before the proxy closes it.
	DefaultIdleBackendTimeout = 10 * time.Second
	DefaultUpgradeTimeout     = 10 * time.Second // upgrade_timeout, of a binary upgrade
	// max_idle_per_backend: idle HTTP/1.1 connections kept per backend (0:
	// none, a connection per request).
	DefaultMaxIdlePerBackend = 1024
	// bulk_buffers: 64 KiB buffers response bodies are copied through, in
	// use at once (0: none, every body through 16 KiB).
	DefaultBulkBuffers = 512
)

// LevelTrace is the slog level of log_level = "trace".
const LevelTrace = slog.LevelDebug - 4

// maxSocketPath is the longest unix socket path every platform accepts.
const maxSocketPath = 104

// loader holds what decoding one file needs.
type loader struct {
	ps  *problems
	dir string    // the file's folder, absolute
	now time.Time // certificates expired before now are refused
	// acme is set when the file has an [acme] section (read before the
	// listeners, whose acme = true needs it).
	acme bool
}

// Load reads, decodes and validates the configuration file at path.
// Relative paths in it resolve against the file's folder. Certificate,
// key, chain and answer files are read (and checked) here. On error it
// returns an *Error, or Errors when there are several problems, naming the
// file, line and column where known; problems are collected rather than
// stopping at the first, and a problem caused by an earlier one (a frontend
// on a listener that was refused, say) is not reported again.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	root, perr := parseTree(data)
	if perr != nil {
		perr.File = path
		return nil, perr
	}
	l := &loader{ps: &problems{file: path}, dir: filepath.Dir(abs), now: time.Now()}
	cfg := &Config{Path: abs}
	l.decode(cfg, root)
	if err := l.ps.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decode reads the whole document into cfg, reporting problems to l.ps.
func (l *loader) decode(cfg *Config, root *value) {
	t := newTableReader(l.ps, root, "")
	cfg.CommandSocket = l.path(t, "command_socket", DefaultCommandSocket)
	if len(cfg.CommandSocket) > maxSocketPath {
		at := pos{}
		if v, ok := root.fields["command_socket"]; ok {
			at = v.at
		}
		l.ps.add(at, "command_socket: %s is longer than %d bytes, too long for a unix socket; set a shorter command_socket",
			cfg.CommandSocket, maxSocketPath)
	}
	if t.has("saved_state") {
		cfg.SavedState = l.path(t, "saved_state", "")
	}
	cfg.LogLevel = l.logLevel(t)
	cfg.AccessLog = DefaultAccessLog
	if v := t.get("access_log", kString); v != nil {
		switch {
		case v.str == "stdout", v.str == "stderr", v.str == "off":
			cfg.AccessLog = v.str
		case accesslog.IsSyslogTarget(v.str) || strings.Contains(v.str, "://"):
			if _, err := accesslog.ParseTarget(v.str); err != nil {
				t.errKey("access_log", "%v", err)
			}
			cfg.AccessLog = v.str
		default:
			cfg.AccessLog = l.path(t, "access_log", "")
		}
	}

	p := &cfg.Proxy
	p.MaxConnections = or(t.integer("max_connections", 1, math.MaxInt32), DefaultMaxConnections)
	p.FrontTimeout = or(t.duration("front_timeout"), DefaultFrontTimeout)
	p.BackTimeout = or(t.duration("back_timeout"), DefaultBackTimeout)
	p.ConnectTimeout = or(t.duration("connect_timeout"), DefaultConnectTimeout)
	p.RequestTimeout = or(t.duration("request_timeout"), DefaultRequestTimeout)
	p.TunnelTimeout = or(t.duration("tunnel_timeout"), DefaultTunnelTimeout)
	p.KeepAliveTimeout = or(t.duration("keepalive_timeout"), DefaultKeepAliveTimeout)
	p.MaxConnectionsPerIP = t.integer("max_connections_per_ip", 0, math.MaxInt32)
	p.MaxHeadBytes = or(t.integer("max_head_bytes", 1, 1<<20), DefaultMaxHeadBytes)
	p.MaxHeaderFields = or(t.integer("max_header_fields", 1, 10000), DefaultMaxHeaderFields)
	p.MaxBodyBytes = int64(t.integer("max_body_bytes", 1, math.MaxInt64))
	p.ResolveInterval = or(t.duration("resolve_interval"), DefaultResolveInterval)
	p.IdleBackendTimeout = or(t.duration("idle_backend_timeout"), DefaultIdleBackendTimeout)
	p.MaxIdlePerBackend = DefaultMaxIdlePerBackend
	if t.has("max_idle_per_backend") {
		if p.MaxIdlePerBackend = t.integer("max_idle_per_backend", 0, 1<<20); p.MaxIdlePerBackend == 0 {
			p.MaxIdlePerBackend = -1 // proxy.Config's "no pooling"
		}
	}
	p.BulkBuffers = DefaultBulkBuffers
	if t.has("bulk_buffers") {
		if p.BulkBuffers = t.integer("bulk_buffers", 0, 1<<20); p.BulkBuffers == 0 {
			p.BulkBuffers = -1 // proxy.Config's "none"
		}
	}
	cfg.ShutdownGrace = or(t.duration("shutdown_timeout"), DefaultShutdownGrace)
	p.ShutdownGrace = cfg.ShutdownGrace
	cfg.UpgradeTimeout = or(t.duration("upgrade_timeout"), DefaultUpgradeTimeout)
	if cfg.UpgradeTimeout > order.MaxUpgradeTimeout {
		t.errKey("upgrade_timeout", "%s is longer than %s", cfg.UpgradeTimeout, order.MaxUpgradeTimeout)
	}

	if v := t.get("access_log_format", kString); v != nil {
		f, err := accesslog.ParseFormat(v.str)
		if err != nil {
			t.errKey("access_log_format", "%q is not text or json", v.str)
		}
		cfg.AccessLogFormat = f
	}

	cfg.Metrics.Enabled = true
	if m := t.sub("metrics"); m != nil {
		if m.has("enabled") {
			cfg.Metrics.Enabled = m.boolean("enabled")
		}
		cfg.Metrics.PrometheusAddress = hostPort(m, "prometheus_address", false)
		cfg.Metrics.StatsdAddress = hostPort(m, "statsd_address", true)
		if !cfg.Metrics.Enabled && (cfg.Metrics.PrometheusAddress != "" || cfg.Metrics.StatsdAddress != "") {
			m.errKey("enabled", "metrics are off, so prometheus_address and statsd_address have nothing to publish")
		}
		m.done()
	}

	if a := t.sub("admin"); a != nil {
		l.admin(&cfg.Admin, a)
		a.done()
	}

	p.ACME = l.acmeSection(t)
	l.acme = p.ACME != nil
	l.decodeTracing(cfg, t)
	l.provider(cfg, t)

	b := &plan{l: l}
	listeners, paths := t.tables("listeners")
	for i, v := range listeners {
		b.listener(newTableReader(l.ps, v, paths[i]))
	}
	if cs := t.sub("clusters"); cs != nil {
		for _, id := range cs.v.keys {
			if c := cs.sub(id); c != nil {
				b.cluster(id, c)
			}
		}
	}
	t.done()
	cfg.Orders = b.validate()
}

// or returns v, or def when v is the zero value.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// path returns the path at key made absolute, or def (also made absolute)
// when the key is absent; "" when def is "" and the key is absent.
func (l *loader) path(t *table, key, def string) string {
	s := def
	if t.has(key) {
		v := t.get(key, kString)
		if v == nil {
			return ""
		}
		if s = v.str; s == "" {
			t.errKey(key, "empty path")
			return ""
		}
	}
	if s == "" {
		return ""
	}
	return l.resolve(s)
}

// logLevels maps log_level values to slog levels.
var logLevels = map[string]slog.Level{
	"trace": LevelTrace, "debug": slog.LevelDebug, "info": slog.LevelInfo,
	"warn": slog.LevelWarn, "error": slog.LevelError,
}

func (l *loader) logLevel(t *table) slog.Level {
	v := t.get("log_level", kString)
	if v == nil {
		return slog.LevelInfo
	}
	lv, ok := logLevels[v.str]
	if !ok {
		t.errKey("log_level", "%q is not %s", v.str, joinQuoted([]string{"trace", "debug", "info", "warn", "error"}))
	}
	return lv
}

// hostPort returns the host:port at key, "" when absent or empty; the host
// may be a name, and may be empty unless needHost.
func hostPort(t *table, key string, needHost bool) string {
	s := t.str(key)
	if s == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		t.errKey(key, "%q is not host:port", s)
		return ""
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		t.errKey(key, "%q: port must be 1 to 65535", s)
		return ""
	}
	if needHost && host == "" {
		t.errKey(key, "%q: the host is missing", s)
		return ""
	}
	return s
}
