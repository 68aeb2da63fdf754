package acme_test

import (
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluiceproxy/sluice/acme"
)

// TestStoreAccountKeptAndSeparatedByDirectory: the account key is made
// once and read back; another directory URL gets another account; an
// account URL is remembered; a missing certificate is os.ErrNotExist; a
// folder made looser by hand is made 0700 again.
func TestStoreAccountKeptAndSeparatedByDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := acme.NewStore(dir, "https://acme-v02.api.letsencrypt.org/directory")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(s.Dir()) != "acme-v02.api.letsencrypt.org_directory" {
		t.Fatalf("account folder %s", s.Dir())
	}
	k1, u, err := s.Account()
	if err != nil || u != "" {
		t.Fatal(err, u)
	}
	k2, _, err := s.Account()
	if err != nil || !k1.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k2.Public()) {
		t.Fatalf("the key changed: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAccount("https://ca/acct/1", "ops@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, u, _ := s.Account(); u != "https://ca/acct/1" {
		t.Fatalf("account URL %q", u)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("storage folder %v", fi.Mode())
	}
	staging, _ := acme.NewStore(dir, "https://acme-staging-v02.api.letsencrypt.org/directory")
	k3, u3, err := staging.Account()
	if err != nil || u3 != "" || k1.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k3.Public()) {
		t.Fatalf("staging shares the production account: %v %q", err, u3)
	}
	if _, err := s.Load("shop.example.com"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load of nothing: %v", err)
	}
	if _, err := acme.NewStore(dir, "not a url"); err == nil {
		t.Fatal("a bad directory URL was taken")
	}
}

// TestStoreRefusesABrokenCertificate: a certificate file whose key does
// not match is an error, not a certificate.
func TestStoreRefusesABrokenCertificate(t *testing.T) {
	dir := t.TempDir()
	s, _ := acme.NewStore(dir, "https://ca.test/dir")
	certs := filepath.Join(s.Dir(), "certs")
	os.MkdirAll(certs, 0o700)
	os.WriteFile(filepath.Join(certs, "a.test.crt"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	os.WriteFile(filepath.Join(certs, "a.test.key"), []byte("nope"), 0o600)
	if _, err := s.Load("a.test"); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load: %v", err)
	}
}
