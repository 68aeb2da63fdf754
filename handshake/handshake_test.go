package handshake

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		in     []string
		lo, hi uint16
	}{
		{nil, tls.VersionTLS12, tls.VersionTLS13},
		{[]string{"TLS1.3"}, tls.VersionTLS13, tls.VersionTLS13},
		{[]string{"TLS1.2"}, tls.VersionTLS12, tls.VersionTLS12},
		{[]string{"TLS1.3", "TLS1.2"}, tls.VersionTLS12, tls.VersionTLS13},
	} {
		lo, hi, err := Versions(tc.in)
		if err != nil || lo != tc.lo || hi != tc.hi {
			t.Errorf("Versions(%v) = %x %x %v", tc.in, lo, hi, err)
		}
	}
	if _, _, err := Versions([]string{"TLS1.1"}); err == nil {
		t.Error("TLS1.1 accepted")
	}
}

func TestTicketRotation(t *testing.T) {
	t0 := time.Now()
	tk := NewTickets(t0)
	if tk.Rotate(t0.Add(TicketRotation - time.Second)) {
		t.Error("rotated before the hour")
	}
	for i := 1; i <= TicketKeys+3; i++ {
		if !tk.Rotate(t0.Add(time.Duration(i) * TicketRotation)) {
			t.Fatalf("rotation %d did not happen", i)
		}
	}
	if n := tk.Len(); n != TicketKeys {
		t.Errorf("%d keys kept, want %d", n, TicketKeys)
	}
	first := tk.keys[0]
	tk.Rotate(t0.Add(100 * TicketRotation))
	if tk.keys[1] != first || tk.keys[0] == first {
		t.Error("the new key is not first, or the previous one was dropped")
	}
}

// pair runs one handshake between a client with cfg and s over a pipe.
func pair(t testing.TB, s *Server, cfg *tls.Config) (tls.ConnectionState, *cert.Cert, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		served *cert.Cert
		err    error
	}
	done := make(chan result, 1)
	go func() {
		tc, served, err := s.Handshake(b, 5*time.Second)
		if err == nil {
			// Let the client read the TLS 1.3 ticket, then close.
			_ = tc.SetDeadline(time.Now().Add(time.Second))
			_, _ = tc.Read(make([]byte, 1))
			tc.Close()
		}
		done <- result{served, err}
	}()
	c := tls.Client(a, cfg)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	err = c.Handshake()
	st := c.ConnectionState()
	if err == nil {
		_, _ = c.Write([]byte("x")) // lets the server finish
	}
	c.Close()
	r := <-done
	return st, r.served, r.err // the server's error: the client's is the alert
}

func TestHandshakeChoosesRefusesAndResumesAcrossRotation(t *testing.T) {
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tk := NewTickets(time.Now())
	s, err := NewServer(Settings{}, tk)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pair(t, s, &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool}); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("no index: %v, want ErrNoCertificate", err)
	}
	s.SetIndex(cert.NewIndex([]*cert.Cert{c}, nil))
	cache := tls.NewLRUClientSessionCache(2)
	cfg := &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool, ClientSessionCache: cache, MaxVersion: tls.VersionTLS12}
	st, served, err := pair(t, s, cfg)
	if err != nil || served != c || st.DidResume {
		t.Fatalf("first handshake: %v, served %v, resumed %v", err, served, st.DidResume)
	}
	tk.Rotate(time.Now().Add(TicketRotation)) // the ticket's key is now the previous one
	st, _, err = pair(t, s, cfg)
	if err != nil || !st.DidResume {
		t.Errorf("after one rotation: %v, resumed %v", err, st.DidResume)
	}
	_, _, err = pair(t, s, &tls.Config{ServerName: "other.test", RootCAs: ca.Pool})
	if !errors.Is(err, ErrNoCertificate) || !strings.Contains(err.Error(), "other.test") {
		t.Errorf("unknown name: %v", err)
	}
}
