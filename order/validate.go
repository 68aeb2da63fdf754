package order

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// FieldError says which field of an order is wrong and why.
type FieldError struct {
	Field  string // e.g. "backend.address"
	Reason string
	// Code classifies the refusal; empty means CodeInvalid (see CodeOf).
	Code ErrorCode
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ValidateAddress checks a listener address, or a reference to one (the
// address of a frontend, a certificate, a listener order): host:port with a
// port from 1 to 65535, the host an IP address, a host name
// ("localhost:8080", bound to the name's first address as net.Listen
// does), or empty (":8080": every interface). A listener's key is its
// address as written: "localhost:8080" and "127.0.0.1:8080" name two
// listeners (which cannot both be active: the second bind fails).
func ValidateAddress(field, addr string) error { return validateHostPort(field, addr, true) }

// ValidateBackendAddress checks a backend address: host:port with a port
// from 1 to 65535 and a host that is an IP address or a host name (which
// the proxy resolves when the backend is added, and again every resolve
// interval).
func ValidateBackendAddress(field, addr string) error { return validateHostPort(field, addr, false) }

func validateHostPort(field, addr string, emptyHost bool) error {
	if addr == "" {
		return fieldErr(field, "missing")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fieldErr(field, "%q is not host:port", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fieldErr(field, "%q: port must be 1 to 65535", addr)
	}
	switch {
	case host == "" && emptyHost:
	case host == "":
		return fieldErr(field, "%q: the host is missing", addr)
	case isIP(host), IsHostName(host):
	default:
		return fieldErr(field, "%q: host must be an IP address or a host name", addr)
	}
	return nil
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// IsHostName reports whether s is a DNS host name (RFC 1123, as Go's
// resolver takes them): dot-separated labels of 1 to 63 letters, digits,
// '-' (not first or last) or '_', at most 253 bytes, an optional final
// dot, and not all digits (which would be a malformed IP address).
func IsHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	nonNumeric := false
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			switch c := label[i]; {
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-':
				nonNumeric = true
			case c >= '0' && c <= '9':
			default:
				return false
			}
		}
	}
	return nonNumeric
}

// ValidateID checks a cluster or backend id: 1 to 128 bytes of letters,
// digits, '-', '_', '.' or ':'.
func ValidateID(field, id string) error {
	if id == "" {
		return fieldErr(field, "missing")
	}
	if len(id) > 128 {
		return fieldErr(field, "longer than 128 bytes")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return fieldErr(field, "%q: only letters, digits, '-', '_', '.' and ':' are allowed", id)
		}
	}
	return nil
}

func validateAnswers(field string, answers map[string]string) error {
	for code := range answers {
		n, err := strconv.Atoi(code)
		if err != nil || n < 100 || n > 599 || len(code) != 3 {
			return fieldErr(field, "%q is not a status code", code)
		}
	}
	return nil
}

func validateTimeout(field string, d Duration) error {
	if d < 0 {
		return fieldErr(field, "negative duration %s", d)
	}
	return nil
}

// Validate checks the listener's fields.
func (l *Listener) Validate() error { return l.validate(false) }

// validate is Validate; for an update (the settings it gives, on a
// listener otherwise empty) the rules that pair two settings are left to
// the state, which checks the listener they make.
func (l *Listener) validate(update bool) error {
	switch l.Protocol {
	case HTTP, HTTPS, TCP:
	case "":
		return fieldErr("listener.protocol", "missing (http, https or tcp)")
	default:
		return fieldErr("listener.protocol", "%q is not http, https or tcp", l.Protocol)
	}
	if err := ValidateAddress("listener.address", l.Address); err != nil {
		return err
	}
	for name, d := range map[string]Duration{
		"front_timeout": l.FrontTimeout, "back_timeout": l.BackTimeout,
		"connect_timeout": l.ConnectTimeout, "request_timeout": l.RequestTimeout,
		"tunnel_timeout": l.TunnelTimeout, "keepalive_timeout": l.KeepAliveTimeout,
	} {
		if err := validateTimeout("listener."+name, d); err != nil {
			return err
		}
	}
	if l.KeepAliveTimeout != 0 && l.Protocol == TCP {
		return fieldErr("listener.keepalive_timeout", "a tcp listener has no requests to wait for; front_timeout bounds its relays")
	}
	if l.MaxConnectionsPerIP < 0 || l.MaxConnectionsPerIP > 1<<31-1 {
		return fieldErr("listener.max_connections_per_ip", "%d is outside 0..2147483647", l.MaxConnectionsPerIP)
	}
	if l.MaxHeadBytes < 0 || l.MaxHeadBytes > 1<<20 {
		return fieldErr("listener.max_head_bytes", "%d is outside 0..1048576", l.MaxHeadBytes)
	}
	if l.MaxBodyBytes < 0 {
		return fieldErr("listener.max_body_bytes", "%d is negative", l.MaxBodyBytes)
	}
	if l.MaxHeaderFields < 0 || l.MaxHeaderFields > 10000 {
		return fieldErr("listener.max_header_fields", "%d is outside 0..10000", l.MaxHeaderFields)
	}
	if l.StickyName != "" && !isToken(l.StickyName) {
		return fieldErr("listener.sticky_name", "%q is not a cookie name", l.StickyName)
	}
	for _, v := range l.TLSVersions {
		if v != "TLS1.2" && v != "TLS1.3" {
			return fieldErr("listener.tls_versions", "%q is not TLS1.2 or TLS1.3", v)
		}
	}
	if l.Protocol != HTTPS {
		switch {
		case len(l.TLSVersions) > 0:
			return fieldErr("listener.tls_versions", "TLS settings need an https listener")
		case l.Certificate != nil:
			return fieldErr("listener.certificate", "a default certificate needs an https listener")
		case l.HSTS != nil:
			return fieldErr("listener.hsts", "HSTS is sent on https listeners only (RFC 6797 §7.2)")
		}
	}
	if l.Certificate != nil {
		if err := l.Certificate.Validate(); err != nil {
			return err
		}
	}
	if err := l.HSTS.validate("listener.hsts"); err != nil {
		return err
	}
	if err := l.ListenerTLS.validate(l.Protocol, update); err != nil {
		return err
	}
	if err := l.validateRoute(); err != nil {
		return err
	}
	return validateAnswers("listener.answers", l.Answers)
}

// validateRoute checks the listener's routing and rewrite settings.
func (l *Listener) validateRoute() error {
	if l.Protocol == TCP && (l.XRealIP || l.RequestIDHeader != "") {
		return fieldErr("listener.x_real_ip", "x_real_ip and request_id_header need an http or https listener")
	}
	if l.RequestIDHeader != "" && !isToken(l.RequestIDHeader) {
		return fieldErr("listener.request_id_header", "%q is not a header field name", l.RequestIDHeader)
	}
	return nil
}

// Validate checks the cluster's fields.
func (c *Cluster) Validate() error {
	if err := ValidateID("cluster.id", c.ID); err != nil {
		return err
	}
	switch c.Protocol {
	case "", HTTP, TCP:
	default:
		return fieldErr("cluster.protocol", "%q is not http or tcp", c.Protocol)
	}
	switch c.LoadBalancing {
	case "", RoundRobin, Random, LeastLoaded, PowerOfTwo, Maglev:
	default:
		return fieldErr("cluster.load_balancing", "%q is not round_robin, random, least_loaded, power_of_two or maglev", c.LoadBalancing)
	}
	if c.HealthCheck != nil {
		if err := c.HealthCheck.Validate(); err != nil {
			return err
		}
	}
	if err := c.PassiveHealth.validate(); err != nil {
		return err
	}
	if err := c.HSTS.validate("cluster.hsts"); err != nil {
		return err
	}
	if err := c.TLS.validate(c); err != nil {
		return err
	}
	if err := c.validateBackendProtocol(); err != nil {
		return err
	}
	if err := c.validatePolicy(); err != nil {
		return err
	}
	if c.HTTPSRedirectPort < 0 || c.HTTPSRedirectPort > 65535 {
		return fieldErr("cluster.https_redirect_port", "%d is outside 1..65535", c.HTTPSRedirectPort)
	}
	if c.Protocol == TCP && (c.HTTPSRedirectPort != 0 || len(c.Headers) > 0) {
		return fieldErr("cluster.headers", "https_redirect_port and headers need an http cluster")
	}
	if err := validateEdits("cluster.headers", c.Headers); err != nil {
		return err
	}
	return validateAnswers("cluster.answers", c.Answers)
}

// Bounds of a passive health's waits (said as 10ms..1h in errors).
const (
	minPassiveBackoff = 10 * time.Millisecond
	maxPassiveBackoff = time.Hour
)

// validate checks the passive health's fields; nil is valid.
func (p *PassiveHealth) validate() error {
	if p == nil {
		return nil
	}
	if p.MaxFailures < 0 || p.MaxFailures > 100 {
		return fieldErr("cluster.passive_health.max_failures", "%d is outside 1..100", p.MaxFailures)
	}
	for _, w := range []struct {
		field string
		d     Duration
	}{{"backoff", p.Backoff}, {"backoff_max", p.BackoffMax}} {
		if w.d != 0 && (w.d.D() < minPassiveBackoff || w.d.D() > maxPassiveBackoff) {
			return fieldErr("cluster.passive_health."+w.field, "%s is outside 10ms..1h", w.d)
		}
	}
	if p.Backoff != 0 && p.BackoffMax != 0 && p.BackoffMax < p.Backoff {
		return fieldErr("cluster.passive_health.backoff_max", "%s is under backoff %s", p.BackoffMax, p.Backoff)
	}
	return nil
}

// Validate checks the health check's fields.
func (h *HealthCheck) Validate() error {
	switch h.Type {
	case "", CheckHTTP, CheckTCP:
	default:
		return fieldErr("cluster.health_check.type", "%q is not http or tcp", h.Type)
	}
	if h.Type == CheckTCP && (h.Path != "" || h.Host != "" || h.ExpectedStatus != 0) {
		return fieldErr("cluster.health_check.type", "path, host and expected_status need an http check")
	}
	if h.Path != "" {
		if h.Path[0] != '/' {
			return fieldErr("cluster.health_check.path", "%q does not start with '/'", h.Path)
		}
		if i := strings.IndexFunc(h.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
			return fieldErr("cluster.health_check.path", "%q has a space or control character", h.Path)
		}
		if len(h.Path) > 1024 {
			return fieldErr("cluster.health_check.path", "longer than 1024 bytes")
		}
	}
	if h.Host != "" && strings.IndexFunc(h.Host, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' }) >= 0 {
		return fieldErr("cluster.health_check.host", "%q is not a host", h.Host)
	}
	if h.ExpectedStatus != 0 && (h.ExpectedStatus < 100 || h.ExpectedStatus > 599) {
		return fieldErr("cluster.health_check.expected_status", "%d is not a status code", h.ExpectedStatus)
	}
	if h.Interval < 0 || h.Interval > 0 && h.Interval.D() < 100*time.Millisecond {
		return fieldErr("cluster.health_check.interval", "%s is under 100ms", h.Interval)
	}
	if err := validateTimeout("cluster.health_check.timeout", h.Timeout); err != nil {
		return err
	}
	if h.Rise < 0 || h.Rise > 100 {
		return fieldErr("cluster.health_check.rise", "%d is outside 0..100", h.Rise)
	}
	if h.Fall < 0 || h.Fall > 100 {
		return fieldErr("cluster.health_check.fall", "%d is outside 0..100", h.Fall)
	}
	return nil
}

// Validate checks the frontend's own fields; the hostname and path syntax
// are checked by the router when the frontend is applied.
func (f *HTTPFrontend) Validate() error {
	if err := ValidateAddress("frontend.address", f.Address); err != nil {
		return err
	}
	if f.Hostname == "" {
		return fieldErr("frontend.hostname", "missing")
	}
	switch f.PathType {
	case "", Prefix, Equals, Regex:
	default:
		return fieldErr("frontend.path_type", "%q is not prefix, equals or regex", f.PathType)
	}
	if f.Method != "" && !isToken(f.Method) {
		return fieldErr("frontend.method", "%q is not a method token", f.Method)
	}
	if f.Deny && f.ClusterID != "" {
		return fieldErr("frontend.cluster_id", "a deny frontend has no cluster")
	}
	if f.Deny && f.Redirect != nil {
		return fieldErr("frontend.redirect", "a deny frontend does not redirect")
	}
	if !f.Deny && (f.Redirect == nil || f.ClusterID != "") {
		if err := ValidateID("frontend.cluster_id", f.ClusterID); err != nil {
			return err
		}
	}
	if err := f.validateRoute(); err != nil {
		return err
	}
	return f.validatePolicy()
}

// validateKey checks only the fields that identify a frontend.
func (f *HTTPFrontend) validateKey() error {
	g := f.Key()
	g.Deny = true
	return g.Validate()
}

// Key returns the frontend with only the fields of its key: address,
// hostname, path rule, method, position and conditions.
func (f *HTTPFrontend) Key() HTTPFrontend {
	return HTTPFrontend{Address: f.Address, Hostname: f.Hostname, Path: f.Path, PathType: f.PathType,
		Method: f.Method, Position: f.Position, MatchHeaders: f.MatchHeaders, MatchQuery: f.MatchQuery}
}

// Validate checks the tcp frontend's fields.
func (f *TCPFrontend) Validate() error {
	if err := ValidateAddress("frontend.address", f.Address); err != nil {
		return err
	}
	if _, err := NormalizeSNI("frontend.hostname", f.Hostname); err != nil {
		return err
	}
	return ValidateID("frontend.cluster_id", f.ClusterID)
}

// Validate checks the backend's fields.
func (b *Backend) Validate() error {
	if err := ValidateID("backend.cluster_id", b.ClusterID); err != nil {
		return err
	}
	if err := ValidateID("backend.id", b.ID); err != nil {
		return err
	}
	if err := ValidateBackendAddress("backend.address", b.Address); err != nil {
		return err
	}
	if b.Weight != 0 { // 0: not given, DefaultWeight
		if err := ValidateWeight("backend.weight", b.Weight); err != nil {
			return err
		}
	}
	if b.StickyID != "" && !isToken(b.StickyID) {
		return fieldErr("backend.sticky_id", "%q is not a cookie value token", b.StickyID)
	}
	return nil
}

// Validate checks that the PEM parts are present; parsing them is the
// certificate store's job.
func (c *CertificateAndKey) Validate() error {
	if !strings.Contains(c.Certificate, "-----BEGIN") {
		return fieldErr("certificate.certificate", "not a PEM certificate")
	}
	if !strings.Contains(c.Key, "-----BEGIN") {
		return fieldErr("certificate.key", "not a PEM key")
	}
	return nil
}

// validate checks an optional HSTS policy.
func (h *HSTS) validate(field string) error {
	if h == nil {
		return nil
	}
	if h.MaxAge < 0 || h.MaxAge > 1<<31-1 {
		return fieldErr(field+".max_age", "%d is outside 0..2147483647 seconds", h.MaxAge)
	}
	if h.Preload && (!h.IncludeSubDomains || h.MaxAge < 31536000) {
		return fieldErr(field+".preload", "preload needs include_subdomains and a max_age of at least 31536000 (a year)")
	}
	return nil
}

// Header returns the Strict-Transport-Security header line of the policy,
// CRLF included, or nil for a nil policy.
func (h *HSTS) Header() []byte {
	if h == nil {
		return nil
	}
	v := "Strict-Transport-Security: max-age=" + strconv.FormatInt(h.MaxAge, 10)
	if h.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return []byte(v + "\r\n")
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}
