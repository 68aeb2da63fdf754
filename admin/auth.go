package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
)

// Tokens are the bearer tokens the API accepts. Write tokens may do
// everything; read-only tokens may only read (GET and HEAD, and never a
// private key: with_keys needs a write token). With no token at all the
// API asks none, which CheckAddress allows on loopback addresses only.
type Tokens struct {
	Write    []string
	ReadOnly []string
}

// MinTokenBytes is the shortest token accepted: 16 bytes (128 bits when
// random; `openssl rand -hex 32` makes one of 64).
const MinTokenBytes = 16

// None reports whether no token is set.
func (t Tokens) None() bool { return len(t.Write) == 0 && len(t.ReadOnly) == 0 }

// ReadToken returns the token of a file (its content, surrounding spaces
// and newlines trimmed) or of an environment variable; exactly one of
// file and env may be set, and neither means no token (""). A token
// shorter than MinTokenBytes, or holding spaces or control characters, is
// refused; so is a file that others than its owner may read.
func ReadToken(file, env string) (string, error) {
	var tok, from string
	switch {
	case file != "" && env != "":
		return "", errors.New("a token comes from a file or an environment variable, not both")
	case file != "":
		fi, err := os.Stat(file)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("token file %s: mode %#o lets others read it; chmod 600 it", file, fi.Mode().Perm())
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		tok, from = strings.TrimSpace(string(b)), "token file "+file
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("token environment variable %s is not set", env)
		}
		tok, from = strings.TrimSpace(v), "token environment variable "+env
	default:
		return "", nil
	}
	if len(tok) < MinTokenBytes {
		return "", fmt.Errorf("%s: the token is %d bytes, shorter than %d", from, len(tok), MinTokenBytes)
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] == 0x7f {
			return "", fmt.Errorf("%s: the token holds a space or a control character", from)
		}
	}
	return tok, nil
}

// IsLoopback reports whether a listening address (host:port) binds only
// loopback interfaces: an IP of 127.0.0.0/8 or ::1, or "localhost". An
// empty host (every interface) or another name is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// CheckAddress refuses to serve addr without a token unless it is a
// loopback address.
func CheckAddress(addr string, t Tokens) error {
	if t.None() && !IsLoopback(addr) {
		return fmt.Errorf("admin: %s is not a loopback address: set token_file or token_env "+
			"(a token is required off loopback), or listen on 127.0.0.1", addr)
	}
	if len(t.Write) == 0 && len(t.ReadOnly) > 0 {
		return errors.New("admin: a read-only token without a write token: set token_file or token_env too")
	}
	return nil
}

// access is what a request may do.
type access int

const (
	denied access = iota
	readOnly
	full
)

// sessionCookie carries a token for browsers (EventSource sends no
// Authorization header): set by POST /api/session.
const sessionCookie = "sluice_admin"

// authorize tells what the request's token allows: its Authorization
// bearer token, else its session cookie. Every token is compared in
// constant time, on SHA-256 digests so that lengths do not leak either.
func (s *Server) authorize(r *http.Request) access {
	if s.cfg.Tokens.None() {
		return full
	}
	tok, ok := bearer(r)
	if !ok {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			return denied
		}
		tok = c.Value
	}
	return s.cfg.Tokens.match(tok)
}

// match compares tok with every token (no early exit).
func (t Tokens) match(tok string) access {
	got := sha256.Sum256([]byte(tok))
	a := denied
	for _, w := range t.Write {
		want := sha256.Sum256([]byte(w))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			a = full
		}
	}
	for _, ro := range t.ReadOnly {
		want := sha256.Sum256([]byte(ro))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 && a == denied {
			a = readOnly
		}
	}
	return a
}

// bearer returns the token of an "Authorization: Bearer" field.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// reads are the methods a read-only token may use.
func isRead(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

// admit checks a request before it is routed, answering it when it may
// not go on: the page and its files (GET outside /api/) and the OpenAPI
// description are public; under
// /api/ a token is needed when tokens are set (401 without a good one, 403
// for a write with a read-only one); a write from another site is
// refused (403: an Origin that is not this host, or Sec-Fetch-Site
// cross-site); without tokens, a Host that is not a loopback name or
// address is refused (403), so that a web page whose name resolves to
// 127.0.0.1 (DNS rebinding) cannot read the API.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Tokens.None() && !loopbackHost(r.Host) {
		writeError(w, http.StatusForbidden, codeForbidden, fmt.Sprintf(
			"Host %q is not a loopback name: without a token the admin API answers only to localhost", r.Host))
		return false
	}
	api := r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
	if isRead(r) && (!api || r.URL.Path == "/api/openapi.json") {
		return true // public: the page's files and the description
	}
	if !isRead(r) {
		if err := s.csrf.Check(r); err != nil {
			writeError(w, http.StatusForbidden, codeForbidden, "cross-site request refused: "+err.Error()+
				" (the Origin must be this admin host)")
			return false
		}
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/session" {
		return true // checks the token it is given
	}
	switch s.authorize(r) {
	case denied:
		w.Header().Set("WWW-Authenticate", `Bearer realm="sluice admin"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "a valid bearer token is required (Authorization: Bearer TOKEN)")
		return false
	case readOnly:
		if !isRead(r) && !(r.Method == http.MethodDelete && r.URL.Path == "/api/session") {
			writeError(w, http.StatusForbidden, codeForbidden, "this token is read-only: "+r.Method+" needs a write token")
			return false
		}
		if withKeys(r) {
			writeError(w, http.StatusForbidden, codeForbidden, "this token is read-only: private keys (with_keys) need a write token")
			return false
		}
	}
	return true
}

// withKeys reports a query that asks for private keys.
func withKeys(r *http.Request) bool {
	v := r.URL.Query().Get("with_keys")
	return v != "" && v != "false" && v != "0"
}

// loopbackHost reports whether a Host field names this machine by a
// loopback name or address.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
