// Package handshake terminates TLS on https listeners: the server's TLS
// settings (versions, suites, curves, ALPN), the choice of certificate by
// SNI from a [cert.Index], rotating session-ticket keys, and the handshake
// itself under a deadline.
//
// Defaults: TLS 1.2 and 1.3 only; for TLS 1.2 only ECDHE key exchange with
// AES-GCM or ChaCha20-Poly1305 (TLS 1.3 suites are all AEAD and fixed by
// crypto/tls); X25519 first, then X25519MLKEM768, P-256, P-384; ALPN "h2"
// then "http/1.1" (a client that offers neither gets HTTP/1.1).
package handshake

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/sock"
	"github.com/sluiceproxy/sluice/tlsparam"
)

// The ALPN protocols offered, in the server's order of preference.
const (
	ProtoH2   = "h2"
	ProtoHTTP = "http/1.1"
)

// CipherSuites are the TLS 1.2 suites offered by default: ECDHE with an
// AEAD (see package tlsparam, which also names the curves).
var CipherSuites = tlsparam.DefaultSuites()

// Curves are the default key-exchange groups, X25519 first.
var Curves = tlsparam.DefaultCurves()

// Versions turns a listener's tls_versions ("TLS1.2", "TLS1.3"; empty
// means both) into the lowest and highest version allowed.
func Versions(names []string) (lo, hi uint16, err error) {
	if len(names) == 0 {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, n := range names {
		var v uint16
		switch n {
		case "TLS1.2":
			v = tls.VersionTLS12
		case "TLS1.3":
			v = tls.VersionTLS13
		default:
			return 0, 0, fmt.Errorf("%q is not TLS1.2 or TLS1.3", n)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi, nil
}

// Server terminates TLS for one https listener. Its certificate index is
// swapped atomically by the proxy; handshakes load it without a lock. Its
// methods are safe for concurrent use.
type Server struct {
	index    atomic.Pointer[cert.Index]
	config   *tls.Config
	lifetime time.Duration    // of session tickets
	now      func() time.Time // the clock tickets are aged with
	// challenge answers TLS-ALPN-01 validations; nil without ACME.
	challenge func(serverName string) *tls.Certificate
}

// protos are the ALPN protocols offered: "acme-tls/1" last, with ACME.
func protos(acme bool) []string {
	if acme {
		return []string{ProtoH2, ProtoHTTP, ProtoACME}
	}
	return []string{ProtoH2, ProtoHTTP}
}

// Settings are an https listener's TLS parameters, by name (see package
// tlsparam); zero values mean the defaults.
type Settings struct {
	Versions       []string // "TLS1.2", "TLS1.3"
	CipherSuites   []string // TLS 1.2 suites
	Curves         []string
	TicketLifetime time.Duration // how long a ticket resumes a session
	// ClientAuth is "required" or "optional" to ask clients for a
	// certificate signed by ClientCA (PEM bundle); "" or "none": none.
	ClientAuth string
	ClientCA   string
	// ALPNChallenge, when set, answers TLS-ALPN-01 validations (RFC
	// 8737): a client that offers the ALPN protocol "acme-tls/1" gets the
	// certificate it returns for the server name, or a refused handshake
	// when it returns nil; the connection is closed once the handshake is
	// done (Handshake returns ErrChallenge). Nil: "acme-tls/1" is not
	// offered.
	ALPNChallenge func(serverName string) *tls.Certificate
}

// ProtoACME is the ALPN protocol of TLS-ALPN-01 validation.
const ProtoACME = "acme-tls/1"

// ErrChallenge is Handshake's error for a TLS-ALPN-01 validation: the
// handshake was the whole exchange, and the connection is closed.
var ErrChallenge = errors.New("tls-alpn-01 validation answered")

// NewServer returns a server with the settings given, serving no
// certificate until SetIndex. Its session-ticket keys come from tickets.
func NewServer(set Settings, tickets *Tickets) (*Server, error) {
	lo, hi, err := Versions(set.Versions)
	if err != nil {
		return nil, err
	}
	suites, err := tlsparam.Suites(set.CipherSuites)
	if err != nil {
		return nil, fmt.Errorf("cipher_suites: %w", err)
	}
	curves, err := tlsparam.Curves(set.Curves)
	if err != nil {
		return nil, fmt.Errorf("curves: %w", err)
	}
	lifetime, err := tlsparam.TicketLifetime(set.TicketLifetime)
	if err != nil {
		return nil, fmt.Errorf("session_ticket_lifetime: %w", err)
	}
	s := &Server{lifetime: lifetime, now: time.Now, challenge: set.ALPNChallenge}
	s.config = &tls.Config{
		MinVersion:       lo,
		MaxVersion:       hi,
		CipherSuites:     suites,
		CurvePreferences: curves,
		NextProtos:       protos(set.ALPNChallenge != nil),
		GetCertificate:   s.getCertificate,
		UnwrapSession:    s.unwrapSession,
	}
	if err := clientAuth(s.config, set.ClientAuth, set.ClientCA); err != nil {
		return nil, err
	}
	tickets.attach(s.config)
	return s, nil
}

// SetIndex publishes the certificates new handshakes choose from;
// connections already established keep the certificate they got.
func (s *Server) SetIndex(ix *cert.Index) { s.index.Store(ix) }

// Index returns the published certificates.
func (s *Server) Index() *cert.Index { return s.index.Load() }

// conn is the raw connection under a TLS handshake; it records the
// certificate chosen for it.
type conn struct {
	net.Conn
	served  *cert.Cert
	refused bool // no certificate covered the server name
	// The client's verified certificate, for the backend (see
	// clientauth.go); empty without one.
	subject, fingerprint []byte
	// io reads and writes the TLS records with raw system calls, when
	// rawIO: crypto/tls's reads and writes then do not go through the
	// scheduler's system call hand-off, which wakes the runtime's monitor
	// thread each time when the process was idle (a thread switch on a
	// busy core per wake-up).
	io    sock.Conn
	rawIO bool
}

// Read reads TLS records (see io).
func (c *conn) Read(p []byte) (int, error) {
	if c.rawIO {
		return c.io.Read(p)
	}
	return c.Conn.Read(p)
}

// Write writes TLS records (see io).
func (c *conn) Write(p []byte) (int, error) {
	if c.rawIO {
		return c.io.Write(p)
	}
	return c.Conn.Write(p)
}

// SetDeadline sets both deadlines, for the reads and writes of crypto/tls
// (see io): with raw calls they reach the runtime's poller lazily, as a
// plain connection's do (package internal/sock).
func (c *conn) SetDeadline(t time.Time) error {
	if c.rawIO {
		return c.io.SetDeadline(t)
	}
	return c.Conn.SetDeadline(t)
}

// SetReadDeadline is SetDeadline for reads.
func (c *conn) SetReadDeadline(t time.Time) error {
	if c.rawIO {
		return c.io.SetReadDeadline(t)
	}
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline is SetDeadline for writes.
func (c *conn) SetWriteDeadline(t time.Time) error {
	if c.rawIO {
		return c.io.SetWriteDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// SyscallConn gives the raw connection's descriptor, so that a session may
// watch an idle TLS connection's socket (park it) while crypto/tls owns the
// reads.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// getCertificate picks the certificate for a ClientHello. With none (no
// SNI match and no default certificate) it returns nil, nil: crypto/tls then
// refuses the handshake with an unrecognized_name alert.
func (s *Server) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if s.challenge != nil && slices.Contains(hello.SupportedProtos, ProtoACME) {
		if c := s.challenge(hello.ServerName); c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("no tls-alpn-01 validation in progress for %q", hello.ServerName)
	}
	c := s.index.Load().Lookup(hello.ServerName)
	rc, _ := hello.Conn.(*conn)
	if c == nil {
		if rc != nil {
			rc.refused = true
		}
		return nil, nil
	}
	if rc != nil {
		rc.served = c
	}
	return c.Serving(), nil // with its OCSP staple, when it has a valid one
}

// ErrNoCertificate is the handshake error when no certificate covers the
// client's server name and the listener has no default certificate.
var ErrNoCertificate = errors.New("no certificate for the requested server name")

// Handshake runs the TLS handshake on raw within timeout and returns the
// TLS connection and the certificate served on it. On error raw is closed.
// The deadline is cleared once the handshake is done.
func (s *Server) Handshake(raw net.Conn, timeout time.Duration) (*tls.Conn, *cert.Cert, error) {
	rc := &conn{Conn: raw}
	rc.rawIO = rc.io.Init(raw)
	tc := tls.Server(rc, s.config)
	if err := rc.SetDeadline(time.Now().Add(timeout)); err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("handshake: set deadline: %w", err)
	}
	if err := tc.HandshakeContext(context.Background()); err != nil {
		raw.Close()
		if rc.refused {
			err = fmt.Errorf("%w %q", ErrNoCertificate, tc.ConnectionState().ServerName)
		}
		return nil, nil, fmt.Errorf("handshake: %w", err)
	}
	if s.challenge != nil && tc.ConnectionState().NegotiatedProtocol == ProtoACME {
		tc.Close() // RFC 8737 §3: the validation ends with the handshake
		return nil, nil, ErrChallenge
	}
	if err := rc.SetDeadline(time.Time{}); err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("handshake: clear deadline: %w", err)
	}
	if s.config.ClientAuth != tls.NoClientCert {
		rc.identify(tc)
	}
	return tc, rc.served, nil
}
