package acme

import (
	"context"
	"crypto/tls"
	"strings"
	"sync"

	"github.com/go-acme/lego/v5/challenge/tlsalpn01"
)

// HTTP01Prefix is the path under which HTTP-01 tokens are asked for
// (RFC 8555 §8.3).
const HTTP01Prefix = "/.well-known/acme-challenge/"

// ALPNProto is the ALPN protocol of TLS-ALPN-01 validation (RFC 8737).
const ALPNProto = tlsalpn01.ACMETLS1Protocol

// Challenges holds the answers to the challenges in progress: key
// authorizations by HTTP-01 token, TLS-ALPN-01 certificates by host name.
// The lego client fills it (Present) and empties it (CleanUp) around a
// validation; listeners read it. Its methods are safe for concurrent use;
// the zero value is not: use NewChallenges.
type Challenges struct {
	mu     sync.RWMutex
	tokens map[string]string           // token → key authorization
	certs  map[string]*tls.Certificate // lower-case host name → challenge certificate
}

// NewChallenges returns an empty set.
func NewChallenges() *Challenges {
	return &Challenges{tokens: map[string]string{}, certs: map[string]*tls.Certificate{}}
}

// HTTP01 returns the key authorization of an HTTP-01 token, and whether
// the token is one in progress. It allocates nothing.
func (c *Challenges) HTTP01(token []byte) (string, bool) {
	c.mu.RLock()
	ka, ok := c.tokens[string(token)]
	c.mu.RUnlock()
	return ka, ok
}

// TLSALPN01 returns the TLS-ALPN-01 certificate for a server name (case
// and a trailing dot ignored), or nil when no validation of it is in
// progress.
func (c *Challenges) TLSALPN01(serverName string) *tls.Certificate {
	name := strings.ToLower(strings.TrimSuffix(serverName, "."))
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.certs[name]
}

// Pending is the number of challenges in progress.
func (c *Challenges) Pending() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.tokens) + len(c.certs)
}

// httpProvider and alpnProvider are the lego challenge providers that
// publish into a Challenges.
type httpProvider struct{ c *Challenges }

func (p httpProvider) Present(_ context.Context, _, token, keyAuth string) error {
	p.c.mu.Lock()
	p.c.tokens[token] = keyAuth
	p.c.mu.Unlock()
	return nil
}

func (p httpProvider) CleanUp(_ context.Context, _, token, _ string) error {
	p.c.mu.Lock()
	delete(p.c.tokens, token)
	p.c.mu.Unlock()
	return nil
}

type alpnProvider struct{ c *Challenges }

func (p alpnProvider) Present(_ context.Context, domain, _, keyAuth string) error {
	cert, err := tlsalpn01.ChallengeCert(domain, keyAuth)
	if err != nil {
		return err
	}
	p.c.mu.Lock()
	p.c.certs[strings.ToLower(domain)] = cert
	p.c.mu.Unlock()
	return nil
}

func (p alpnProvider) CleanUp(_ context.Context, domain, _, _ string) error {
	p.c.mu.Lock()
	delete(p.c.certs, strings.ToLower(domain))
	p.c.mu.Unlock()
	return nil
}
