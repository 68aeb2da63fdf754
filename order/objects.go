package order

// Protocol is what a listener speaks, or what a cluster's backends speak.
type Protocol string

// The protocols. A cluster is "http" (its frontends are HTTP or HTTPS
// frontends) or "tcp" (its frontends are TCP frontends).
const (
	HTTP  Protocol = "http"
	HTTPS Protocol = "https"
	TCP   Protocol = "tcp"
)

// LoadBalancing names a cluster's backend selection algorithm.
type LoadBalancing string

// The load-balancing algorithms. The empty value means RoundRobin.
const (
	RoundRobin  LoadBalancing = "round_robin"  // smooth weighted round robin
	Random      LoadBalancing = "random"       // weighted random
	LeastLoaded LoadBalancing = "least_loaded" // fewest in-flight requests, weighted
	PowerOfTwo  LoadBalancing = "power_of_two" // two weighted random picks, the less loaded wins
	// Maglev hashes a key of each request (Cluster.HashKey: the client
	// address by default) onto a Maglev lookup table: the same key goes
	// to the same backend, and a backend joining or leaving moves only
	// about its share of the keys.
	Maglev LoadBalancing = "maglev"
)

// Listener is an address the proxy accepts connections on.
//
// Zero durations and limits mean the proxy's defaults (see proxy.Config).
// The key of a listener is its Address.
type Listener struct {
	// Protocol is http, https or tcp. Required.
	Protocol Protocol `json:"protocol"`
	// Address is host:port to listen on, e.g. "127.0.0.1:8080"; the host
	// may be a name ("localhost:8080": its first address) or empty
	// (":8080": every interface). Required. It is the listener's key as
	// written (see ValidateAddress).
	Address string `json:"address"`
	// Active listeners accept connections. A listener added inactive binds
	// nothing until an ActivateListener order.
	Active bool `json:"active"`
	// ExpectProxy requires a PROXY protocol header (v1 or v2) at the start
	// of every client connection, within RequestTimeout; its address
	// becomes the client's. Connections without a valid header are closed
	// (and logged). A LOCAL header (a health check) keeps the connection's
	// own address.
	ExpectProxy bool `json:"expect_proxy,omitempty"`
	// StickyName is the sticky-session cookie name; default SLUICEBALANCEID.
	StickyName string `json:"sticky_name,omitempty"`
	// FrontTimeout bounds how long a client connection may stay idle or
	// silent while the proxy waits for it. Default 60s.
	FrontTimeout Duration `json:"front_timeout,omitempty"`
	// BackTimeout bounds how long a backend may stay silent while a response
	// is awaited or streamed. Default 30s.
	BackTimeout Duration `json:"back_timeout,omitempty"`
	// ConnectTimeout bounds a backend connect. Default 3s.
	ConnectTimeout Duration `json:"connect_timeout,omitempty"`
	// RequestTimeout bounds the time to receive a request head, from its
	// first byte (or from the connection's start for the first request).
	// Default 10s.
	RequestTimeout Duration `json:"request_timeout,omitempty"`
	// TunnelTimeout is the idle timeout of upgraded connections (WebSocket
	// tunnels) on http and https listeners: a tunnel closes when one side
	// sent and received nothing for that long. Default 1h (HAProxy's
	// "timeout tunnel"). Unused on tcp listeners, whose relays use
	// FrontTimeout and BackTimeout.
	TunnelTimeout Duration `json:"tunnel_timeout,omitempty"`
	// KeepAliveTimeout bounds how long a client connection of an http or
	// https listener may wait for its next request after a response,
	// until the request's first byte (and an HTTP/2 connection without a
	// stream). It applies up to FrontTimeout: the shorter of the two
	// governs. Default 10s. Unused on tcp listeners.
	KeepAliveTimeout Duration `json:"keepalive_timeout,omitempty"`
	// MaxConnectionsPerIP caps the connections open at once from one
	// client IP on this listener (the source address of the PROXY
	// protocol header when the listener expects one); a connection past
	// it is closed at once. 0 means the proxy default (no cap unless
	// proxy.Config.MaxConnectionsPerIP sets one).
	MaxConnectionsPerIP int `json:"max_connections_per_ip,omitempty"`
	// MaxHeadBytes bounds a request head in bytes; default 32768.
	MaxHeadBytes int `json:"max_head_bytes,omitempty"`
	// MaxHeaderFields bounds the number of request header fields; default 100.
	MaxHeaderFields int `json:"max_header_fields,omitempty"`
	// MaxBodyBytes bounds a request body in bytes: a longer one is answered
	// 413 (before anything is sent when its length is declared; a chunked
	// one is cut off when it gets there). 0 means the proxy default (none
	// unless proxy.Config.MaxBodyBytes sets one).
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
	// Answers replaces default answers on this listener, keyed by status code
	// ("404", "503", ...). A value is either a complete HTTP/1.1 response
	// (starting with "HTTP/1.1 ") or an HTML body. "%REQUEST_ID" in either is
	// replaced by the request id.
	Answers map[string]string `json:"answers,omitempty"`
	// TLSVersions lists allowed TLS versions on https listeners ("TLS1.2",
	// "TLS1.3"). Default both.
	TLSVersions []string `json:"tls_versions,omitempty"`
	// Certificate, in add_listener, is the default certificate of an
	// https listener, served when SNI is absent or matches nothing.
	// Without one such handshakes are refused with an unrecognized_name
	// alert. It is stored as a certificate of the listener like the others,
	// marked default (see AddCertificate.Default), so listings and dumps
	// show it there, not here.
	Certificate *CertificateAndKey `json:"certificate,omitempty"`
	// HSTS, on an https listener, adds a Strict-Transport-Security header
	// to its responses (a cluster's own HSTS wins). Nil: none.
	HSTS *HSTS `json:"hsts,omitempty"`

	// Routing and rewrites (issue 16, policy-route).

	// XRealIP, on an http or https listener, sets X-Real-IP to the
	// client's IP on every request sent to a backend (the client's own
	// X-Real-IP fields are dropped). Off: a client's X-Real-IP passes on
	// as it came.
	XRealIP bool `json:"x_real_ip,omitempty"`
	// RequestIDHeader names the field carrying the request id to the
	// backend and back to the client; default Sluice-Request-Id. A
	// client's field of that name is replaced, as is a backend's.
	RequestIDHeader string `json:"request_id_header,omitempty"`

	// ListenerTLS: cipher suites, curves and ticket lifetime (https).
	ListenerTLS
}

// HSTS is a Strict-Transport-Security policy (RFC 6797). It is sent only on
// https listeners, on responses whose backend did not send its own, and on
// the proxy's own answers.
type HSTS struct {
	// MaxAge is how long browsers keep the policy, in seconds (0 tells
	// them to drop it). Required.
	MaxAge int64 `json:"max_age"`
	// IncludeSubDomains extends the policy to every subdomain.
	IncludeSubDomains bool `json:"include_subdomains,omitempty"`
	// Preload asks for inclusion in browsers' preload lists; it needs
	// IncludeSubDomains and a MaxAge of at least a year (31536000).
	Preload bool `json:"preload,omitempty"`
}

// Cluster is one application: a set of backends and the settings that pick
// and talk to them. Its key is ID.
type Cluster struct {
	// ID names the cluster. Required: letters, digits, '-', '_', '.'.
	ID string `json:"id"`
	// Protocol is http (default) or tcp.
	Protocol Protocol `json:"protocol,omitempty"`
	// LoadBalancing picks backends; default round_robin.
	LoadBalancing LoadBalancing `json:"load_balancing,omitempty"`
	// StickySession pins a client to a backend with a cookie.
	StickySession bool `json:"sticky_session,omitempty"`
	// HTTPSRedirect answers 301 to the https URL on http listeners.
	HTTPSRedirect bool `json:"https_redirect,omitempty"`
	// SendProxy sends a PROXY protocol v2 header naming the client at the
	// start of every backend connection. On tcp listeners that expect the
	// PROXY protocol, the client's header is relayed (its addresses and
	// TLVs). HTTP backend connections of such a cluster carry one client's
	// header, so they are never pooled: each request gets a new one.
	SendProxy bool `json:"send_proxy,omitempty"`
	// HealthCheck, when set, probes every backend of the cluster in the
	// background; backends failing it are taken out of rotation.
	HealthCheck *HealthCheck `json:"health_check,omitempty"`
	// PassiveHealth tunes the circuit breaker that every connect to the
	// cluster's backends feeds (docs/backends.md); nil, or a zero field,
	// takes the proxy's values (3 failures, 1s doubling up to 30s).
	PassiveHealth *PassiveHealth `json:"passive_health,omitempty"`
	// HTTP2 is the earlier spelling of BackendProtocol "h2": true there
	// means h2 (cleartext HTTP/2 with prior knowledge without TLS). The
	// state keeps BackendProtocol only; an order's http2 is folded into it.
	HTTP2 bool `json:"http2,omitempty"`
	// BackendProtocol is the HTTP version spoken to the cluster's
	// backends (backendproto.go): "http1" (the default, also ""), "h2"
	// or "auto" (ALPN h2,http/1.1 over TLS, the backend picks).
	BackendProtocol BackendProtocol `json:"backend_protocol,omitempty"`
	// HSTS adds a Strict-Transport-Security header to this cluster's
	// responses on https listeners, instead of the listener's. Nil: the
	// listener's, if any.
	HSTS *HSTS `json:"hsts,omitempty"`
	// Answers replaces default answers for this cluster (see
	// Listener.Answers); cluster answers win over listener answers.
	Answers map[string]string `json:"answers,omitempty"`

	// Traffic policy (policy-guard): hashing key, rate limit, retries, compression.

	// HashKey is what load_balancing "maglev" hashes; nil: the client
	// address. Only with maglev.
	HashKey *HashKey `json:"hash_key,omitempty"`
	// RateLimit limits the requests of the whole cluster (all its
	// frontends), keyed as it says; nil: none.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	// Retry sends failed requests again on another attempt; nil: only the
	// built-in resend of an idempotent request whose connection failed
	// before any response byte (see docs/policy.md).
	Retry *Retry `json:"retry,omitempty"`
	// Compression compresses the cluster's responses for clients that
	// accept it; nil: none.
	Compression *Compression `json:"compression,omitempty"`

	// Routing and rewrites (issue 16, policy-route).

	// HTTPSRedirectPort is the port of HTTPSRedirect's Location, 1 to
	// 65535; 0 or 443 leave it out (https's default port).
	HTTPSRedirectPort int `json:"https_redirect_port,omitempty"`
	// Headers edits the requests sent to the cluster's backends and
	// their responses; a frontend's own edits of a name win over these.
	Headers []HeaderEdit `json:"headers,omitempty"`

	// TLS, when set, makes the cluster speak TLS to its backends
	// (tls_cluster.go). Nil: plain TCP.
	TLS *BackendTLS `json:"tls,omitempty"`
}

// PassiveHealth is a cluster's passive health: a failed connect (refused,
// or no answer within connect_timeout) puts the backend in backoff, where
// it takes no request until its wait is over, then one trial request at a
// time; MaxFailures failed connects in a row take it down. A completed
// connect ends both. Zero fields take the proxy's values.
type PassiveHealth struct {
	// MaxFailures is the number of failed connects in a row that take a
	// backend down, 1 to 100 (proxy default 3).
	MaxFailures int `json:"max_failures,omitempty"`
	// Backoff is the wait after the first failed connect, doubled at each
	// further one (less up to half, at random, so that proxies do not retry
	// in step), 10ms to 1h (proxy default 1s).
	Backoff Duration `json:"backoff,omitempty"`
	// BackoffMax caps the wait, 10ms to 1h and at least Backoff (proxy
	// default 30s).
	BackoffMax Duration `json:"backoff_max,omitempty"`
}

// HashKey names the part of a request that maglev load balancing hashes.
type HashKey struct {
	// Source is "client_address" (default), "header" or "cookie".
	Source string `json:"source,omitempty"`
	// Name is the header or cookie name, for those sources. A request
	// without it is hashed on its client address.
	Name string `json:"name,omitempty"`
}

// The HashKey sources.
const (
	HashClientAddress = "client_address"
	HashHeader        = "header"
	HashCookie        = "cookie"
)

// RateLimit is a token bucket per key: Rate requests per Period on
// average, Burst at once. A request over it is answered 429 with
// Retry-After.
type RateLimit struct {
	// Rate is the number of requests allowed per Period. Required, 1 to
	// 1000000.
	Rate int `json:"rate"`
	// Period is the period of Rate; default 1s.
	Period Duration `json:"period,omitempty"`
	// Burst is how many requests may come at once (the bucket's size);
	// default Rate.
	Burst int `json:"burst,omitempty"`
	// Key is what a bucket is kept for: "client_address" (default; an
	// IPv6 client by its /64), "header" (the value of the Header field;
	// a request without it is keyed by its client address) or "route"
	// (one bucket for every request of the frontend or cluster).
	Key string `json:"key,omitempty"`
	// Header names the field of key "header".
	Header string `json:"header,omitempty"`
	// MaxKeys bounds the keys tracked at once (a fixed table of 16 bytes
	// a key, allocated in full); default 65536, 1024 to 16777216.
	MaxKeys int `json:"max_keys,omitempty"`
}

// The RateLimit keys.
const (
	LimitClientAddress = "client_address"
	LimitHeader        = "header"
	LimitRoute         = "route"
)

// Retry is a cluster's retry policy, on top of the built-in resend of a
// request whose connection failed before any response byte.
type Retry struct {
	// Attempts is the number of times a request may be sent again; default
	// 1, at most 5.
	Attempts int `json:"attempts,omitempty"`
	// OnStatus lists backend statuses that are retried (502, 503 and 504
	// only); empty: connection failures only.
	OnStatus []int `json:"on_status,omitempty"`
	// BudgetPercent caps retries at this share of the cluster's requests
	// over the last 10 seconds (plus 10 retries a second at least); default
	// 20, 1 to 100.
	BudgetPercent int `json:"budget_percent,omitempty"`
	// Backoff is the wait before the first retry, doubled for each next
	// one with jitter, at most 1s; default 25ms.
	Backoff Duration `json:"backoff,omitempty"`
}

// Compression says which responses are compressed and how.
type Compression struct {
	// Algorithms are the encodings offered, in the proxy's order of
	// preference when a client likes several equally: "zstd", "br",
	// "gzip". Default all three in that order.
	Algorithms []string `json:"algorithms,omitempty"`
	// Types are the media types compressed (exact, or "text/*"); default
	// text/html, text/plain, text/css, text/javascript, text/xml,
	// application/javascript, application/json, application/xml,
	// image/svg+xml.
	Types []string `json:"types,omitempty"`
	// MinSize is the smallest response body compressed, by its
	// Content-Length (a body of unknown length always is); default 1024.
	MinSize int64 `json:"min_size,omitempty"`
	// GzipLevel is gzip's level, 1 (fastest) to 9; default 5. zstd runs at
	// its default level, brotli at 4.
	GzipLevel int `json:"gzip_level,omitempty"`
}

// HealthCheck is a cluster's active health check: every Interval, each
// backend is probed; Fall failed probes in a row mark it down, Rise good
// ones bring it back. Zero fields mean the defaults.
type HealthCheck struct {
	// Type is "http" (default: a GET of Path, healthy when the status is
	// ExpectedStatus) or "tcp" (healthy when a connect completes).
	Type string `json:"type,omitempty"`
	// Path is the request target of an http check; default "/".
	Path string `json:"path,omitempty"`
	// Host is the Host header of an http check; default the backend's
	// address.
	Host string `json:"host,omitempty"`
	// ExpectedStatus is the status an http check wants; 0 (default) means
	// any 2xx or 3xx.
	ExpectedStatus int `json:"expected_status,omitempty"`
	// Interval between two probes of one backend; default 10s, at least
	// 100ms.
	Interval Duration `json:"interval,omitempty"`
	// Timeout bounds one probe (connect, request and response head);
	// default 5s, capped at Interval.
	Timeout Duration `json:"timeout,omitempty"`
	// Rise is the number of good probes in a row that bring a backend up;
	// default 2.
	Rise int `json:"rise,omitempty"`
	// Fall is the number of failed probes in a row that mark it down;
	// default 3.
	Fall int `json:"fall,omitempty"`

	// Traffic policy (policy-guard).

	// FailOpen keeps sending requests to the cluster's backends when the
	// check fails on every one of them, as if none were checked, instead
	// of answering 503.
	FailOpen bool `json:"fail_open,omitempty"`
}

// The HealthCheck types.
const (
	CheckHTTP = "http"
	CheckTCP  = "tcp"
)

// PathType says how a frontend's Path matches a request path.
type PathType string

// The path rules. The empty value means Prefix.
const (
	Prefix PathType = "prefix"
	Equals PathType = "equals"
	Regex  PathType = "regex"
)

// HTTPFrontend routes requests arriving on an http or https listener to a
// cluster, answers them 403 when Deny is set, or redirects them when
// Redirect is set. Its key is (Address, Hostname, PathType, Path, Method,
// Position, MatchHeaders, MatchQuery).
type HTTPFrontend struct {
	// Address of the listener. Required.
	Address string `json:"address"`
	// Hostname: exact ("shop.example.com"), wildcard ("*.example.com"),
	// regex labels ("/api[0-9]+/.example.com") or the catch-all "*".
	// Required.
	Hostname string `json:"hostname"`
	// Path is the path rule's value; empty with prefix matches every path.
	Path string `json:"path,omitempty"`
	// PathType is prefix (default), equals or regex.
	PathType PathType `json:"path_type,omitempty"`
	// Method restricts the frontend to one method; empty matches any.
	Method string `json:"method,omitempty"`
	// ClusterID is where matching requests go. Exactly one of ClusterID
	// and Deny is set, except on a redirect frontend, which may have no
	// cluster (one it has gives its answers and metrics).
	ClusterID string `json:"cluster_id,omitempty"`
	// Deny answers matching requests 403 without a cluster.
	Deny bool `json:"deny,omitempty"`

	// Traffic policy (policy-guard): basic auth, rate limit.

	// BasicAuth asks for a user and password (RFC 7617); nil: none.
	BasicAuth *BasicAuth `json:"basic_auth,omitempty"`
	// RateLimit limits the frontend's requests; nil: none.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`

	// ACME, on an https frontend with an exact hostname, obtains and
	// renews a certificate for the hostname from the proxy's ACME CA (as
	// ListenerTLS.ACME does for every hostname of a listener).
	ACME bool `json:"acme,omitempty"`

	// Routing and rewrites (issue 16, policy-route).

	// Position is pre, tree (default) or post: pre frontends are tried
	// before every tree frontend of the listener, post ones after them.
	Position Position `json:"position,omitempty"`
	// MatchHeaders and MatchQuery are conditions on the request's header
	// fields and query parameters, all of which must hold. Among
	// frontends with the same path rule and method, more conditions win.
	MatchHeaders []Predicate `json:"match_headers,omitempty"`
	MatchQuery   []Predicate `json:"match_query,omitempty"`
	// Redirect, when set, answers every matching request with a
	// redirection.
	Redirect *Redirect `json:"redirect,omitempty"`
	// RewriteHost and RewritePath are templates of the Host and path sent
	// to the backend (and of a redirect's Location); the query is kept.
	// The original host goes on as X-Forwarded-Host.
	RewriteHost string `json:"rewrite_host,omitempty"`
	RewritePath string `json:"rewrite_path,omitempty"`
	// Headers edits the requests this frontend sends on and their
	// responses, after (and over) its cluster's edits.
	Headers []HeaderEdit `json:"headers,omitempty"`
}

// BasicAuth is a frontend's HTTP basic authentication: a request without
// the credentials of one of Users is answered 401 with WWW-Authenticate.
type BasicAuth struct {
	// Realm is named in WWW-Authenticate; default "restricted".
	Realm string `json:"realm,omitempty"`
	// Users maps each user name to the hash of its password: bcrypt
	// ("$2a$", "$2b$", "$2y$") or argon2id ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
	// Plain passwords are refused. Required.
	Users map[string]string `json:"users"`
	// ForwardAuthorization sends the client's Authorization field on to
	// the backend; by default the proxy strips it (the password is the
	// proxy's business).
	ForwardAuthorization bool `json:"forward_authorization,omitempty"`
}

// TCPFrontend sends connections of a tcp listener to a cluster. Its key is
// (Address, Hostname). A listener has at most one frontend without
// hostname, its default route; frontends with a hostname route by the
// server name (SNI) of the client's TLS ClientHello, read without
// terminating TLS (see docs/tcp.md).
type TCPFrontend struct {
	Address string `json:"address"`
	// Hostname is the server name this frontend takes: exact
	// ("db.example.com") or a wildcard ("*.example.com": any name under
	// example.com), case-insensitive, stored lowercase (NormalizeSNI).
	// Empty: the listener's default route, for connections whose server
	// name no other frontend takes, that send none, or that are not TLS.
	Hostname  string `json:"hostname,omitempty"`
	ClusterID string `json:"cluster_id"`
}

// Backend is one server of a cluster. Its key is (ClusterID, ID).
type Backend struct {
	ClusterID string `json:"cluster_id"`
	// ID names the backend within its cluster. Required.
	ID string `json:"id"`
	// Address is host:port of the server; the host is an IP address or a
	// host name, resolved when the backend is added and again every
	// resolve interval (proxy.Config.ResolveInterval): new connections go
	// to the latest address.
	Address string `json:"address"`
	// Weight is the relative share of traffic, MinWeight to MaxWeight
	// (1 to 1000). The zero value means not given: DefaultWeight (100).
	// A backend cannot be weighted out entirely (remove it instead).
	Weight int `json:"weight,omitempty"`
	// Backup backends take traffic only when no primary backend is usable.
	Backup bool `json:"backup,omitempty"`
	// StickyID is the sticky-session cookie value that selects this
	// backend; default its ID.
	StickyID string `json:"sticky_id,omitempty"`
}

// CertificateAndKey is a PEM certificate with its private key and chain.
type CertificateAndKey struct {
	Certificate string   `json:"certificate"`
	Key         string   `json:"key"`
	Chain       []string `json:"chain,omitempty"`
	// Names overrides the names taken from the certificate's SANs.
	Names []string `json:"names,omitempty"`
}
