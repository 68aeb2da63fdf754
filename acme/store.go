package acme

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Store keeps an ACME account and its certificates on disk, under
// Dir/<directory>/ where <directory> is the CA's directory URL made a
// file name (so that a staging and a production account never mix):
//
//	account.key          the account's private key (PEM, ECDSA P-256)
//	account.json         its URL at the CA, once registered
//	certs/NAME.crt       the certificate of host name NAME and its chain (PEM)
//	certs/NAME.key       its private key (PEM)
//
// Folders are created 0700 and files written 0600, through a temporary
// file renamed into place. A Store is used by one Manager; its methods
// may be called concurrently for different names.
type Store struct {
	root string // the storage folder configured
	dir  string // root/<directory>
}

// NewStore returns the store of the account at directory, under dir.
func NewStore(dir, directory string) (*Store, error) {
	u, err := url.Parse(directory)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("acme: directory %q is not a URL", directory)
	}
	return &Store{root: dir, dir: filepath.Join(dir, fileName(u.Host+u.Path))}, nil
}

// fileName turns s into one path element: letters, digits, '.', '-' and
// '_' kept, anything else '_'.
func fileName(s string) string {
	b := []byte(strings.Trim(s, "/"))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] == '.' {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}

// Dir is the folder of the account.
func (s *Store) Dir() string { return s.dir }

// Account returns the account key, creating and saving one when there is
// none, and the account's URL at the CA ("" before registration).
func (s *Store) Account() (crypto.Signer, string, error) {
	key, err := s.readKey(filepath.Join(s.dir, "account.key"))
	if errors.Is(err, os.ErrNotExist) {
		k, gerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if gerr != nil {
			return nil, "", fmt.Errorf("acme: generate account key: %w", gerr)
		}
		der, merr := x509.MarshalPKCS8PrivateKey(k)
		if merr != nil {
			return nil, "", fmt.Errorf("acme: encode account key: %w", merr)
		}
		if err := s.write("account.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, "", err
		}
		return k, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "account.json"))
	if errors.Is(err, os.ErrNotExist) {
		return key, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("acme: read account: %w", err)
	}
	var a accountFile
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, "", fmt.Errorf("acme: read account.json: %w", err)
	}
	return key, a.URL, nil
}

type accountFile struct {
	URL   string `json:"url"`
	Email string `json:"email,omitempty"`
}

// SaveAccount records the account's URL at the CA.
func (s *Store) SaveAccount(accountURL, email string) error {
	b, _ := json.MarshalIndent(accountFile{URL: accountURL, Email: email}, "", "  ")
	return s.write("account.json", append(b, '\n'))
}

// Cert is a certificate as stored: its chain and key in PEM, and the
// parsed leaf.
type Cert struct {
	Chain, Key []byte
	Leaf       *x509.Certificate
}

// Load returns the stored certificate of name; an error wrapping
// os.ErrNotExist when there is none.
func (s *Store) Load(name string) (*Cert, error) {
	base := filepath.Join(s.dir, "certs", fileName(name))
	chain, err := os.ReadFile(base + ".crt")
	if err != nil {
		return nil, fmt.Errorf("acme: load certificate: %w", err)
	}
	key, err := os.ReadFile(base + ".key")
	if err != nil {
		return nil, fmt.Errorf("acme: load certificate: %w", err)
	}
	return parseCert(chain, key)
}

// Save stores the certificate of name (the key first, so that a
// certificate on disk always has its key).
func (s *Store) Save(name string, c *Cert) error {
	base := filepath.Join("certs", fileName(name))
	if err := s.write(base+".key", c.Key); err != nil {
		return err
	}
	return s.write(base+".crt", c.Chain)
}

// parseCert checks that chain and key make a TLS certificate and returns
// it with its leaf.
func parseCert(chain, key []byte) (*Cert, error) {
	tc, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return nil, fmt.Errorf("acme: certificate and key: %w", err)
	}
	leaf, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("acme: certificate: %w", err)
	}
	return &Cert{Chain: chain, Key: key, Leaf: leaf}, nil
}

// readKey reads a PEM private key that can sign.
func (s *Store) readKey(file string) (crypto.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("acme: %s holds no PEM block", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("acme: %s: %w", file, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("acme: %s: not a signing key", file)
	}
	return signer, nil
}

// write writes rel under the store's folder, mode 0600, creating the
// folders 0700 (and making them 0700 when they exist), through a
// temporary file synced and renamed into place.
func (s *Store) write(rel string, b []byte) error {
	file := filepath.Join(s.dir, rel)
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("acme: store: %w", err)
	}
	for _, d := range []string{s.root, s.dir, dir} {
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("acme: store: %w", err)
		}
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("acme: store: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing to remove
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(b)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		return fmt.Errorf("acme: store %s: %w", rel, err)
	}
	return nil
}
