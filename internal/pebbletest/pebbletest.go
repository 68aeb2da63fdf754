// Package pebbletest runs Let's Encrypt's pebble ACME test server in the
// test's process, on 127.0.0.1, for tests only: its CA, validation
// authority and web front end (github.com/letsencrypt/pebble/v2), a DNS
// server answering 127.0.0.1 for every name (so that the validation
// authority reaches the proxy under test whatever host name it
// validates), no random sleeps before validations, no nonce rejected on
// purpose, no authorization reused.
package pebbletest

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

// LeakedGoroutine is the top function of the goroutine pebble's
// validation authority starts and never ends (it has no Close): give it
// to goleak's IgnoreTopFunction.
const LeakedGoroutine = "github.com/letsencrypt/pebble/v2/va.VAImpl.processTasks"

// Options are a server's settings.
type Options struct {
	// HTTPPort and TLSPort are the ports the validation authority
	// connects to for HTTP-01 and TLS-ALPN-01, on 127.0.0.1.
	HTTPPort, TLSPort int
	// Validity of the certificates issued; default 90 days.
	Validity time.Duration
}

// Server is a running pebble.
type Server struct {
	// Directory is the ACME directory URL.
	Directory string
	// CAPEM is the certificate of the directory's TLS server (PEM): the
	// bundle an ACME client must trust to talk to it.
	CAPEM string
	// Roots are the roots of the certificates pebble issues.
	Roots *x509.CertPool
	// DB is pebble's store (AddBlockedDomain makes it refuse a name).
	DB *db.MemoryStore

	srv *httptest.Server
	dns *dns.Server
}

var envMu sync.Mutex

// env are the environment variables pebble reads as it starts: no random
// sleep before a validation, no nonce refused on purpose, no
// authorization reused (every order is validated).
var env = map[string]string{"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"}

// Setenv sets pebble's environment for the test (t.Setenv): call it in a
// test whose parallel subtests Start pebbles.
func Setenv(t testing.TB) {
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// Start runs a pebble until the test ends. Unless Setenv was called by
// the test or a parent, it sets pebble's environment itself (t.Setenv),
// so the test must not be parallel then.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	for k, v := range env {
		if os.Getenv(k) != v {
			t.Setenv(k, v)
		}
	}
	envMu.Lock()
	defer envMu.Unlock()
	quiet := log.New(io.Discard, "", 0)
	s := &Server{DB: db.NewMemoryStore()}

	ln, err := net.Listen("tcp", "127.0.0.1:0") // pebble's validation authority asks over TCP
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	s.dns = &dns.Server{Listener: ln, Handler: dns.HandlerFunc(answerLoopback),
		NotifyStartedFunc: func() { close(started) }}
	go func() { _ = s.dns.ActivateAndServe() }()
	<-started

	validity := uint64(90 * 24 * 3600)
	if o.Validity > 0 {
		validity = uint64(o.Validity / time.Second)
	}
	authority := ca.New(quiet, s.DB, "", "ecdsa", 0, 1,
		map[string]ca.Profile{"default": {Description: "test", ValidityPeriod: validity}})
	validator := va.New(quiet, o.HTTPPort, o.TLSPort, false, ln.Addr().String(), s.DB)
	front := wfe.New(quiet, s.DB, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 1, 1)
	s.srv = httptest.NewTLSServer(front.Handler())
	s.srv.Config.ErrorLog = quiet
	s.Directory = s.srv.URL + wfe.DirectoryPath
	s.CAPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
	s.Roots = x509.NewCertPool()
	s.Roots.AddCert(authority.GetRootCert(0).Cert)
	t.Cleanup(s.Close)
	return s
}

// Close stops the server (and its DNS server).
func (s *Server) Close() {
	s.srv.Close()
	_ = s.dns.Shutdown()
}

// HTTPClient returns a client trusting the directory's TLS certificate
// whose responses carry a Retry-After of 1 second when pebble gives
// none: lego polls a challenge's authorization after the Retry-After of
// the challenge's answer, 5 seconds without one, and pebble sends none
// there; with it a validation takes about a second.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: retryAfter{s.srv.Client().Transport}, Timeout: 30 * time.Second}
}

type retryAfter struct{ rt http.RoundTripper }

func (r retryAfter) CloseIdleConnections() {
	if c, ok := r.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (r retryAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err == nil && resp.Header.Get("Retry-After") == "" {
		resp.Header.Set("Retry-After", strconv.Itoa(1))
	}
	return resp, err
}

// answerLoopback answers A queries with 127.0.0.1 and anything else with
// no record.
func answerLoopback(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	for _, qq := range q.Question {
		if qq.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0},
				A:   net.IPv4(127, 0, 0, 1),
			})
		}
	}
	_ = w.WriteMsg(m)
}
