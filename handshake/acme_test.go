package handshake

import (
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestALPNChallenge: with ALPNChallenge set, a client offering
// acme-tls/1 gets the challenge certificate for its server name and the
// handshake ends the exchange (ErrChallenge); a name without a challenge
// in progress is refused; clients offering h2 or nothing get the
// listener's certificate as before. Without ALPNChallenge acme-tls/1 is
// not offered.
func TestALPNChallenge(t *testing.T) {
	ca := testcert.NewCA()
	l := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	c, err := cert.Parse(order.CertificateAndKey{Certificate: l.Cert, Key: l.Key}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	v := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	validation, err := tls.X509KeyPair([]byte(v.Cert), []byte(v.Key))
	if err != nil {
		t.Fatal(err)
	}
	challenge := func(name string) *tls.Certificate {
		if name == "shop.test" {
			return &validation
		}
		return nil
	}
	s, err := NewServer(Settings{ALPNChallenge: challenge}, NewTickets(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	s.SetIndex(cert.NewIndex([]*cert.Cert{c}, c))
	acmeClient := func(name string) *tls.Config {
		return &tls.Config{ServerName: name, InsecureSkipVerify: true, NextProtos: []string{ProtoACME}}
	}

	st, _, err := pair(t, s, acmeClient("shop.test"))
	if !errors.Is(err, ErrChallenge) || st.NegotiatedProtocol != ProtoACME ||
		len(st.PeerCertificates) == 0 || string(st.PeerCertificates[0].Raw) != string(validation.Certificate[0]) {
		t.Fatalf("validation: %v, protocol %q", err, st.NegotiatedProtocol)
	}
	if _, _, err := pair(t, s, acmeClient("other.test")); err == nil || errors.Is(err, ErrChallenge) {
		t.Fatalf("a validation nobody asked for: %v", err)
	}
	st, served, err := pair(t, s, &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool, NextProtos: []string{ProtoH2, ProtoHTTP}})
	if err != nil || served != c || st.NegotiatedProtocol != ProtoH2 {
		t.Fatalf("an h2 client: %v, served %v, protocol %q", err, served, st.NegotiatedProtocol)
	}

	plain, err := NewServer(Settings{}, NewTickets(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	plain.SetIndex(cert.NewIndex([]*cert.Cert{c}, c))
	if _, _, err := pair(t, plain, acmeClient("shop.test")); err == nil {
		t.Fatal("a listener without ACME negotiated acme-tls/1")
	}
}
