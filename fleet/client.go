package fleet

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// ClientConfig is how to reach etcd: the [provider.etcd] table.
type ClientConfig struct {
	// Endpoints are etcd's client URLs ("https://10.0.0.1:2379"). Required.
	Endpoints []string
	// Prefix is the key prefix of this fleet; default DefaultPrefix.
	Prefix string
	// CertFile and KeyFile are a client certificate and its key (PEM) for
	// etcd's client certificate authentication; CAFile the CA etcd's
	// server certificate is checked against (default: the system's).
	// Any of them makes the connection TLS.
	CertFile, KeyFile, CAFile string
	// Username and Password authenticate with etcd's own users; empty: none.
	Username, Password string
	// InstanceID names this instance under PREFIX/instances/; default the
	// host name and the command socket's path.
	InstanceID string
}

// Dial returns a client of etcd for c. It does not wait for etcd: a client
// of an etcd that is down is made, and connects (and authenticates, with
// a user) when etcd is back. Its
// reconnection backoff is at most 250 ms, so that an instance catches up
// within a second of etcd's return; its own logs are discarded (the
// follower logs what matters).
func Dial(c ClientConfig) (*clientv3.Client, error) {
	if len(c.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints")
	}
	tc, err := c.tls()
	if err != nil {
		return nil, err
	}
	cfg := clientv3.Config{
		Endpoints:   c.Endpoints,
		DialTimeout: 2 * time.Second,
		TLS:         tc,
		Logger:      zap.NewNop(),
		// Keep-alives find a dead connection while no request is under way.
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2,
				MaxDelay: 250 * time.Millisecond},
			MinConnectTimeout: time.Second,
		})},
	}
	if c.Username == "" {
		return clientv3.New(cfg)
	}
	// With a user, clientv3.New authenticates before it returns, and fails
	// when etcd does not answer within DialTimeout: an instance would not
	// start while etcd is away. A placeholder token makes New skip that;
	// the user and password set after it make the client authenticate on
	// its first request (a stream fetches a token when it opens; a unary
	// request refused for the placeholder fetches one and is sent again),
	// and again when etcd says the token expired. A wrong password is then
	// each request's error.
	cfg.Token = "pending"
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, err
	}
	cli.Token, cli.Username, cli.Password = "", c.Username, c.Password
	return cli, nil
}

// tls builds the client's TLS configuration; nil when none is asked for.
func (c ClientConfig) tls() (*tls.Config, error) {
	if c.CertFile == "" && c.KeyFile == "" && c.CAFile == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("etcd: cert_file and key_file go together")
	}
	if c.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd: ca_file %s: no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
