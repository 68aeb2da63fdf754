package handshake

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/tlsparam"
)

// exchange runs one handshake between s and a client with cfg over
// loopback, with one byte each way so that a TLS 1.3 client reads its
// tickets, and returns the client's view.
func exchange(t *testing.T, s *Server, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		b, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		tc, _, err := s.Handshake(b, 5*time.Second)
		if err != nil {
			done <- err
			return
		}
		defer tc.Close()
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		var one [1]byte
		if _, err := io.ReadFull(tc, one[:]); err != nil {
			done <- err
			return
		}
		_, err = tc.Write(one[:])
		done <- err
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(a, cfg)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.Handshake(); err != nil {
		<-done
		return tls.ConnectionState{}, err
	}
	var one [1]byte
	if _, err := c.Write([]byte("x")); err != nil {
		return tls.ConnectionState{}, err
	}
	if _, err := io.ReadFull(c, one[:]); err != nil {
		return tls.ConnectionState{}, err
	}
	return c.ConnectionState(), <-done
}

func newTestServer(t *testing.T, set Settings) (*Server, *testcert.CA) {
	t.Helper()
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(set, NewTickets(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	s.SetIndex(cert.NewIndex([]*cert.Cert{c}, nil))
	return s, ca
}

// A ticket resumes within the listener's lifetime and not after, in TLS
// 1.2 (where crypto/tls keeps the first handshake's time across
// resumptions) and in TLS 1.3.
func TestTicketLifetime(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		s, ca := newTestServer(t, Settings{TicketLifetime: 10 * time.Minute})
		now := time.Now()
		s.now = func() time.Time { return now }
		cfg := &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool, MinVersion: v, MaxVersion: v,
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		if st, err := exchange(t, s, cfg); err != nil || st.DidResume {
			t.Fatalf("%x: first: %v resumed %v", v, err, st.DidResume)
		}
		now = now.Add(9 * time.Minute)
		if st, err := exchange(t, s, cfg); err != nil || !st.DidResume {
			t.Fatalf("%x: within the lifetime: %v resumed %v", v, err, st.DidResume)
		}
		now = now.Add(2 * time.Minute) // 11 minutes after the full handshake
		if st, err := exchange(t, s, cfg); err != nil || st.DidResume {
			t.Errorf("%x: past the lifetime: %v resumed %v", v, err, st.DidResume)
		}
	}
}

// The configured suites and curves are the only ones a client gets.
func TestSuitesAndCurves(t *testing.T) {
	s, ca := newTestServer(t, Settings{Versions: []string{"TLS1.2"},
		CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		Curves:       []string{"P-384"}})
	base := &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool, MaxVersion: tls.VersionTLS12}
	st, err := exchange(t, s, base)
	if err != nil {
		t.Fatal(err)
	}
	if st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 && st.CipherSuite != tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("suite %s", tls.CipherSuiteName(st.CipherSuite))
	}
	if st.CurveID != tls.CurveP384 {
		t.Errorf("curve %v, want P-384", st.CurveID)
	}
	aes128 := base.Clone()
	aes128.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	if _, err := exchange(t, s, aes128); err == nil {
		t.Error("a client with AES-128 suites only was served")
	}
	x25519 := base.Clone()
	x25519.CurvePreferences = []tls.CurveID{tls.X25519}
	if _, err := exchange(t, s, x25519); err == nil {
		t.Error("a client with X25519 only was served")
	}
}

func TestSettingsRefused(t *testing.T) {
	for _, c := range []struct {
		set  Settings
		want string
	}{
		{Settings{CipherSuites: []string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}}, "only ECDHE suites with an AEAD"},
		{Settings{CipherSuites: []string{"TLS_AES_128_GCM_SHA256"}}, "TLS 1.3 suite"},
		{Settings{CipherSuites: []string{"TLS_ECDHE_RSA_WITH_RC4_128_SHA"}}, "insecure"},
		{Settings{CipherSuites: []string{"ECDHE-RSA-AES128-GCM-SHA256"}}, "not a cipher suite; one of TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
		{Settings{Curves: []string{"P-224"}}, `"P-224" is not a curve`},
		{Settings{Curves: []string{"X25519", "X25519"}}, "listed twice"},
		{Settings{TicketLifetime: 24 * time.Hour}, "outside 1m0s..12h"},
	} {
		if _, err := NewServer(c.set, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.set, err, c.want)
		}
	}
}

// The ring keeps a key as long as the longest ticket lifetime allowed.
func TestRingCoversMaxLifetime(t *testing.T) {
	if TicketRotation*(TicketKeys-1) < tlsparam.MaxTicketLifetime {
		t.Errorf("a ticket's key is kept %s after its last use, less than %s", TicketRotation*(TicketKeys-1), tlsparam.MaxTicketLifetime)
	}
}

func TestFieldSafe(t *testing.T) {
	for in, want := range map[string]string{
		"CN=alice,O=Example": "CN=alice,O=Example",
		"CN=a\r\nX-Evil: 1":  `CN=a\0D\0AX-Evil: 1`,
		"CN=é\x7f":           `CN=é\7F`,
	} {
		if got := string(fieldSafe(in)); got != want {
			t.Errorf("fieldSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientAuthSettingsRefused(t *testing.T) {
	ca := testcert.NewCA()
	for _, c := range []struct {
		set  Settings
		want string
	}{
		{Settings{ClientAuth: "required"}, "client_ca: required"},
		{Settings{ClientAuth: "maybe", ClientCA: ca.PEM}, `"maybe" is not required`},
		{Settings{ClientCA: ca.PEM}, "set client_auth"},
		{Settings{ClientAuth: "optional", ClientCA: "junk"}, "no PEM certificate"},
	} {
		if _, err := NewServer(c.set, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.set, err, c.want)
		}
	}
}
