package order

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Validation of the traffic policy settings (policy-guard): hashing keys,
// rate limits, retries, compression and basic auth.

// validatePolicy checks the cluster's policy settings.
func (c *Cluster) validatePolicy() error {
	if c.Protocol == TCP {
		switch {
		case c.HashKey != nil:
			return fieldErr("cluster.hash_key", "a tcp cluster balances connections, not requests; hash_key needs an http cluster")
		case c.RateLimit != nil:
			return fieldErr("cluster.rate_limit", "rate limits count requests; they need an http cluster")
		case c.Retry != nil:
			return fieldErr("cluster.retry", "retries are of requests; they need an http cluster")
		case c.Compression != nil:
			return fieldErr("cluster.compression", "compression needs an http cluster")
		}
	}
	if c.HashKey != nil {
		if c.LoadBalancing != Maglev {
			return fieldErr("cluster.hash_key", "a hash key needs load_balancing \"maglev\"")
		}
		if err := c.HashKey.validate("cluster.hash_key"); err != nil {
			return err
		}
	}
	if err := c.RateLimit.validate("cluster.rate_limit"); err != nil {
		return err
	}
	if err := c.Retry.validate("cluster.retry"); err != nil {
		return err
	}
	return c.Compression.validate("cluster.compression")
}

func (h *HashKey) validate(field string) error {
	switch h.Source {
	case "", HashClientAddress:
		if h.Name != "" {
			return fieldErr(field+".name", "the client address has no name; name goes with source \"header\" or \"cookie\"")
		}
	case HashHeader, HashCookie:
		if !isToken(h.Name) {
			return fieldErr(field+".name", "%q is not a %s name", h.Name, h.Source)
		}
	default:
		return fieldErr(field+".source", "%q is not client_address, header or cookie", h.Source)
	}
	return nil
}

// The bounds of a rate limit.
const (
	MaxRate             = 1_000_000
	DefaultLimitKeys    = 65536
	MinLimitKeys        = 1024
	MaxLimitKeys        = 1 << 24
	DefaultLimitPeriod  = time.Second
	maxLimitPeriod      = 24 * time.Hour
	minLimitPeriod      = time.Millisecond
	MaxRetryAttempts    = 5
	DefaultRetryBudget  = 20
	DefaultRetryBackoff = 25 * time.Millisecond
	maxRetryBackoff     = 10 * time.Second
)

func (r *RateLimit) validate(field string) error {
	if r == nil {
		return nil
	}
	if r.Rate == 0 {
		return fieldErr(field+".rate", "missing: the requests allowed per period (period defaults to 1s)")
	}
	if r.Rate < 1 || r.Rate > MaxRate {
		return fieldErr(field+".rate", "%d is outside 1..%d requests per period", r.Rate, MaxRate)
	}
	if r.Period != 0 && (r.Period.D() < minLimitPeriod || r.Period.D() > maxLimitPeriod) {
		return fieldErr(field+".period", "%s is outside 1ms..24h", r.Period)
	}
	if r.Burst < 0 || r.Burst > MaxRate {
		return fieldErr(field+".burst", "%d is outside 1..%d", r.Burst, MaxRate)
	}
	switch r.Key {
	case "", LimitClientAddress, LimitRoute:
		if r.Header != "" {
			return fieldErr(field+".header", "a header names the key only with key = \"header\"")
		}
	case LimitHeader:
		if !isToken(r.Header) {
			return fieldErr(field+".header", "%q is not a header name", r.Header)
		}
	default:
		return fieldErr(field+".key", "%q is not client_address, header or route", r.Key)
	}
	if r.MaxKeys != 0 && (r.MaxKeys < MinLimitKeys || r.MaxKeys > MaxLimitKeys) {
		return fieldErr(field+".max_keys", "%d is outside %d..%d", r.MaxKeys, MinLimitKeys, MaxLimitKeys)
	}
	return nil
}

func (r *Retry) validate(field string) error {
	if r == nil {
		return nil
	}
	if r.Attempts < 0 || r.Attempts > MaxRetryAttempts {
		return fieldErr(field+".attempts", "%d is outside 1..%d", r.Attempts, MaxRetryAttempts)
	}
	for _, st := range r.OnStatus {
		if st != 502 && st != 503 && st != 504 {
			return fieldErr(field+".on_status", "%d: only 502, 503 and 504 are retried (a backend that answered anything else did the work)", st)
		}
	}
	if r.BudgetPercent < 0 || r.BudgetPercent > 100 {
		return fieldErr(field+".budget_percent", "%d is outside 1..100", r.BudgetPercent)
	}
	if r.Backoff < 0 || r.Backoff.D() > maxRetryBackoff {
		return fieldErr(field+".backoff", "%s is outside 0..10s", r.Backoff)
	}
	return nil
}

// The compression algorithms.
const (
	Zstd   = "zstd"
	Brotli = "br"
	Gzip   = "gzip"
)

func (c *Compression) validate(field string) error {
	if c == nil {
		return nil
	}
	for i, a := range c.Algorithms {
		switch a {
		case Zstd, Brotli, Gzip:
		default:
			return fieldErr(field+".algorithms", "%q is not zstd, br or gzip", a)
		}
		if slices.Contains(c.Algorithms[:i], a) {
			return fieldErr(field+".algorithms", "%q is listed twice", a)
		}
	}
	for _, t := range c.Types {
		typ, sub, ok := strings.Cut(t, "/")
		if !ok || !isToken(typ) || !(sub == "*" || isToken(sub)) || typ == "*" {
			return fieldErr(field+".types", "%q is not a media type (type/subtype, or type/*)", t)
		}
	}
	if c.MinSize < 0 {
		return fieldErr(field+".min_size", "%d is negative", c.MinSize)
	}
	if c.GzipLevel < 0 || c.GzipLevel > 9 {
		return fieldErr(field+".gzip_level", "%d is outside 1..9", c.GzipLevel)
	}
	return nil
}

// validatePolicy checks the frontend's policy settings.
func (f *HTTPFrontend) validatePolicy() error {
	if f.Deny && (f.BasicAuth != nil || f.RateLimit != nil) {
		return fieldErr("frontend.deny", "a deny frontend answers 403 to everything; basic_auth and rate_limit need a cluster")
	}
	if f.Redirect != nil && f.BasicAuth != nil {
		return fieldErr("frontend.basic_auth", "a redirect frontend answers before basic auth; put basic_auth on the frontend the redirect leads to")
	}
	if f.Redirect != nil && f.RateLimit != nil {
		return fieldErr("frontend.rate_limit", "a redirect frontend answers before rate limits; put rate_limit on the frontend the redirect leads to")
	}
	if err := f.BasicAuth.validate("frontend.basic_auth"); err != nil {
		return err
	}
	return f.RateLimit.validate("frontend.rate_limit")
}

func (a *BasicAuth) validate(field string) error {
	if a == nil {
		return nil
	}
	if strings.ContainsAny(a.Realm, "\"\\") || strings.IndexFunc(a.Realm, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		return fieldErr(field+".realm", "%q has a quote, a backslash or a control character", a.Realm)
	}
	if len(a.Users) == 0 {
		return fieldErr(field+".users", "missing: a table of user names and their bcrypt or argon2id hashes")
	}
	names := make([]string, 0, len(a.Users))
	for name := range a.Users {
		names = append(names, name)
	}
	slices.Sort(names) // the same error first every time
	for _, name := range names {
		if name == "" || strings.ContainsRune(name, ':') || strings.IndexFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
			return fieldErr(field+".users", "%q is not a user name (no ':' or control character, not empty)", name)
		}
		if err := CheckPasswordHash(a.Users[name]); err != nil {
			return fieldErr(field+".users."+name, "user %q: %v", name, err)
		}
	}
	return nil
}

// hashError says what is wrong with a password hash; it never quotes the
// value, which may be a plain password.
type hashError string

func (e hashError) Error() string { return string(e) }

// CheckPasswordHash checks that h is a bcrypt or an argon2id hash (PHC
// string format, version 19). Anything else, a plain password above all,
// is refused; the error never repeats the value.
func CheckPasswordHash(h string) error {
	switch {
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		if _, err := bcrypt.Cost([]byte(h)); err != nil || len(h) != 60 {
			return hashError("not a valid bcrypt hash")
		}
		return nil
	case strings.HasPrefix(h, "$argon2id$"):
		if _, err := ParseArgon2id(h); err != nil {
			return err
		}
		return nil
	}
	return hashError("not a bcrypt or argon2id hash; plain passwords are refused (make one with `sluice hash-password`)")
}

// Argon2id is a parsed argon2id hash.
type Argon2id struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	Salt    []byte
	Key     []byte
}

// ParseArgon2id parses "$argon2id$v=19$m=M,t=T,p=P$salt$key" (base64
// without padding).
func ParseArgon2id(h string) (*Argon2id, error) {
	bad := hashError("not a valid argon2id hash ($argon2id$v=19$m=...,t=...,p=...$salt$hash)")
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
		return nil, bad
	}
	var a Argon2id
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return nil, bad
		}
		switch k {
		case "m":
			a.Memory = uint32(n)
		case "t":
			a.Time = uint32(n)
		case "p":
			if n > 255 {
				return nil, bad
			}
			a.Threads = uint8(n)
		default:
			return nil, bad
		}
	}
	// Bounds that keep one check affordable: at most 256 MiB and 16 passes.
	if a.Memory < 8 || a.Memory > 256<<10 || a.Time < 1 || a.Time > 16 || a.Threads < 1 {
		return nil, hashError("argon2id parameters outside m=8..262144, t=1..16, p>=1")
	}
	var err1, err2 error
	a.Salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	a.Key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(a.Salt) < 8 || len(a.Key) < 16 {
		return nil, bad
	}
	return &a, nil
}
