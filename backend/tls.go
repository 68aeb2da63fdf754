package backend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"reflect"
	"time"

	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
)

// TLS to backends. A cluster whose settings carry a TLS client
// configuration (Settings.TLS, made by NewTLSConfig from the cluster's
// order.BackendTLS) opens every backend connection with a TLS handshake
// after the TCP connect (and after the PROXY protocol header, which goes
// in the clear first). The connection is pooled and reused like a plain
// one; only its reads and writes go through crypto/tls.

// ErrHandshake wraps the error of a failed TLS handshake with a backend
// (its certificate did not verify, it asked for a client certificate we
// have not, it speaks no TLS...). Such a failure does not change the
// backend's health (its connect worked, as with a PROXY header that could
// not be written): the request tries another backend, and when every
// attempt failed so, is answered 502.
var ErrHandshake = errors.New("backend TLS handshake")

// SessionCacheSize is the number of TLS sessions a cluster keeps to
// resume with its backends (one per server name it talks to, mostly).
const SessionCacheSize = 64

// NewTLSConfig makes the TLS client configuration of a cluster: the
// backends' certificates verified against t.CA (else the system's roots)
// unless t.InsecureSkipVerify; t.ServerName as SNI and verified name
// (when empty, each backend sets its own host, see Backend.clientTLS);
// ALPN http/1.1 (HTTP/2 pools offer h2, see clientTLSOf); TLS 1.2 or later; the client certificate if any; a
// session cache, so that new connections resume. Nil t gives nil.
func NewTLSConfig(t *order.BackendTLS) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"http/1.1"},
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // the operator's explicit choice, documented as unsafe
		ClientSessionCache: tls.NewLRUClientSessionCache(SessionCacheSize),
	}
	if t.CA != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(t.CA)) {
			return nil, errors.New("tls.ca: no PEM certificate found")
		}
		cfg.RootCAs = pool
	}
	if t.ClientCertificate != "" {
		c, err := tls.X509KeyPair([]byte(t.ClientCertificate), []byte(t.ClientKey))
		if err != nil {
			return nil, fmt.Errorf("tls.client_key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

// RefusingTLSConfig is a TLS client configuration that trusts no
// certificate: every handshake fails. For a cluster whose TLS settings
// could not be made, so that it fails closed.
func RefusingTLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: x509.NewCertPool()}
}

// tlsChanged closes the idle connections of every backend when the
// cluster's TLS settings change: they were made (or verified) under the
// old ones. The HTTP/2 pools are emptied too when the backend protocol
// changes.
func (c *Cluster) tlsChanged(old, s *Settings) {
	sameTLS := reflect.DeepEqual(old.Cluster.TLS, s.Cluster.TLS)
	if sameTLS && old.Cluster.Speaks() == s.Cluster.Speaks() {
		return
	}
	for _, b := range c.Backends() {
		if !sameTLS {
			b.closePool()
		}
		b.closeH2(false)
	}
}

// tlsFor is a backend's TLS configuration, derived from its cluster's:
// cfg for HTTP/1.1 connections (ALPN http/1.1), h2 for those of an h2 or
// auto cluster's HTTP/2 pool (ALPN as proto says).
type tlsFor struct {
	base, cfg, h2 *tls.Config
	proto         order.BackendProtocol
}

// clientTLS returns the TLS configuration of b's connections, or nil when
// its cluster speaks plain TCP: the cluster's, with b's host as server
// name when the cluster names none. It is derived once per cluster
// configuration and kept.
func (b *Backend) clientTLS() *tls.Config {
	cfg, _ := b.clientTLSOf(false)
	return cfg
}

// clientTLSOf is clientTLS with the cluster settings' configuration it was
// derived from; h2 asks for the configuration of the HTTP/2 pool's
// connections, whose ALPN offer is the cluster's backend protocol (h2, or
// h2 and http/1.1 for auto).
func (b *Backend) clientTLSOf(h2 bool) (cfg, base *tls.Config) {
	if b.cluster == nil {
		return nil, nil
	}
	s := b.cluster.settings.Load()
	base = s.TLS
	if base == nil {
		return nil, nil
	}
	proto := s.Cluster.Speaks()
	f := b.tls.Load()
	if f == nil || f.base != base || f.proto != proto {
		f = &tlsFor{base: base, cfg: base, proto: proto}
		if base.ServerName == "" {
			host, _, err := net.SplitHostPort(b.Addr)
			if err != nil {
				host = b.Addr
			}
			f.cfg = base.Clone()
			f.cfg.ServerName = host
		}
		f.h2 = f.cfg
		switch proto {
		case order.H2:
			f.h2 = f.cfg.Clone()
			f.h2.NextProtos = []string{"h2"}
		case order.Auto:
			f.h2 = f.cfg.Clone()
			f.h2.NextProtos = []string{"h2", "http/1.1"}
		}
		b.tls.Store(f)
	}
	if h2 {
		return f.h2, base
	}
	return f.cfg, base
}

// dialProbe is the dial of a health check probe: b's latest addresses, then
// the TLS handshake when b's cluster speaks TLS (its outcome counts
// nowhere but in the probe's result).
func (b *Backend) dialProbe(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	c, err := b.dialAny(ctx, &d)
	if err != nil {
		return nil, err
	}
	cfg, _ := b.clientTLSOf(b.speaks() != order.HTTP1)
	if cfg == nil {
		return c, nil
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("tls: %w", err)
	}
	return tc, nil
}

// secure runs the TLS handshake on a new connection of a TLS cluster
// within timeout; bc then reads and writes through crypto/tls. Nothing
// happens for a plain cluster. On failure bc is closed and the error
// wraps ErrHandshake; the failure is counted (metrics kind "tls").
func (b *Backend) secure(ctx context.Context, bc *Conn, timeout time.Duration) error {
	return b.secureWith(ctx, bc, timeout, false)
}

// secureWith is secure with the ALPN offer of the HTTP/2 pool when h2 is
// set (see clientTLSOf).
func (b *Backend) secureWith(ctx context.Context, bc *Conn, timeout time.Duration, h2 bool) error {
	cfg, base := b.clientTLSOf(h2)
	if cfg == nil {
		return nil
	}
	start := time.Now()
	tc := tls.Client(bc.Conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		bc.Conn.Close()
		b.countTLSFailure()
		return fmt.Errorf("%w with %s: %w", ErrHandshake, cfg.ServerName, err)
	}
	bc.Conn = tc
	bc.tlsBase = base
	bc.raw.Init(tc)
	bc.ConnectTime += time.Since(start)
	return nil
}

// countTLSFailure counts a failed handshake in the metrics of b and its
// cluster.
func (b *Backend) countTLSFailure() {
	if b.M != nil {
		b.M.ConnectErrors.Inc()
	}
	if c := b.cluster; c != nil && c.M != nil {
		c.M.Errors[metrics.BackendTLS].Inc()
	}
}

// sameTLS reports whether c was made under the TLS settings b's cluster
// has now (both plain included): a connection made before a change of
// them is not pooled nor reused. One atomic load.
func (b *Backend) sameTLS(c *Conn) bool {
	if b.cluster == nil {
		return c.tlsBase == nil
	}
	return c.tlsBase == b.cluster.settings.Load().TLS
}

// socket is the connection under TLS, or the connection itself: what
// the idle pool peeks at.
func (c *Conn) socket() net.Conn {
	if tc, ok := c.Conn.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c.Conn
}
