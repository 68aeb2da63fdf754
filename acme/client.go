package acme

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	legoacme "github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge"
	"github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/registration"
)

// The challenge types a Manager can answer, as Options.Challenges names
// them.
const (
	HTTP01    = string(challenge.HTTP01)    // "http-01"
	TLSALPN01 = string(challenge.TLSALPN01) // "tls-alpn-01"
)

// LetsEncrypt is the default directory: Let's Encrypt's production CA.
const LetsEncrypt = lego.DirectoryURLLetsEncrypt

// user is the lego view of the account.
type user struct {
	email string
	key   crypto.Signer
	reg   *legoacme.ExtendedAccount
}

func (u *user) GetEmail() string                           { return u.email }
func (u *user) GetRegistration() *legoacme.ExtendedAccount { return u.reg }
func (u *user) GetPrivateKey() crypto.Signer               { return u.key }

// newHTTPClient is the client that talks to the CA: the CA bundle given
// (PEM; the system's roots when empty), no proxy from the environment,
// bounded waits.
func newHTTPClient(caPEM string) (*http.Client, error) {
	var roots *x509.CertPool
	if caPEM != "" {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM([]byte(caPEM)) {
			return nil, errors.New("acme: ca: no PEM certificate in the bundle")
		}
	}
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			IdleConnTimeout:       30 * time.Second,
			TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		},
	}, nil
}

// client returns the lego client of the account, registering the account
// first when the store knows no URL for it. Called with m.mu held.
func (m *Manager) legoClient(ctx context.Context) (*lego.Client, error) {
	if m.client != nil {
		return m.client, nil
	}
	key, accountURL, err := m.store.Account()
	if err != nil {
		return nil, err
	}
	u := &user{email: m.opts.Email, key: key}
	if accountURL != "" {
		u.reg = &legoacme.ExtendedAccount{Location: accountURL}
	}
	cfg := lego.NewConfig(u)
	cfg.CADirURL = m.opts.Directory
	cfg.HTTPClient = m.http
	cfg.UserAgent = "sluice"
	c, err := lego.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("acme: directory %s: %w", m.opts.Directory, err)
	}
	if accountURL == "" {
		reg, err := c.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: m.opts.AgreeTerms})
		if err != nil {
			return nil, fmt.Errorf("acme: register the account: %w", err)
		}
		if err := m.store.SaveAccount(reg.Location, m.opts.Email); err != nil {
			return nil, err
		}
		m.log.Info("acme account registered", "directory", m.opts.Directory, "account", reg.Location)
		// A client made with the account's URL signs with it (kid).
		u.reg = reg
		if c, err = lego.NewClient(cfg); err != nil {
			return nil, fmt.Errorf("acme: directory %s: %w", m.opts.Directory, err)
		}
	}
	m.client = c
	return c, nil
}

// obtain asks the CA for a certificate for name, answering the challenge
// typ. Attempts are made one at a time (m.mu), which also keeps the
// client's challenge providers to the attempt's.
func (m *Manager) obtain(ctx context.Context, name, typ string) (*Cert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.legoClient(ctx)
	if err != nil {
		return nil, err
	}
	c.Challenge.Remove(challenge.HTTP01)
	c.Challenge.Remove(challenge.TLSALPN01)
	if typ == HTTP01 {
		err = c.Challenge.SetHTTP01Provider(httpProvider{m.ch})
	} else {
		err = c.Challenge.SetTLSALPN01Provider(alpnProvider{m.ch})
	}
	if err != nil {
		return nil, fmt.Errorf("acme: %s: %w", typ, err)
	}
	res, err := c.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: []string{name}, Bundle: true, KeyType: certcrypto.EC256})
	if err != nil {
		var prob *legoacme.ProblemDetails
		if errors.As(err, &prob) && prob.Type == legoacme.AccountDoesNotExistErrorType {
			m.client = nil // the CA forgot the account: register again next time
			_ = m.store.SaveAccount("", m.opts.Email)
		}
		return nil, fmt.Errorf("acme: obtain %s by %s: %w", name, typ, err)
	}
	return parseCert(res.Certificate, res.PrivateKey)
}
