package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/acme"
	"github.com/sluiceproxy/sluice/order"
)

// TestACMESection: [acme] gives the proxy's ACME options (paths resolved
// against the file's folder, defaults filled in) and acme = true reaches
// the listener's order.
func TestACMESection(t *testing.T) {
	dir := t.TempDir()
	ca, err := os.ReadFile(filepath.Join("testdata", "certs", "chain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	text := `
[acme]
email = "ops@example.com"
directory = "https://127.0.0.1:14000/dir"
ca = "ca.pem"
storage = "state/acme"
agree_terms = true
challenges = ["http-01"]

[[listeners]]
protocol = "https"
address = "127.0.0.1:8443"
acme = true
`
	path := filepath.Join(dir, "sluice.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Proxy.ACME
	if a == nil || a.Email != "ops@example.com" || a.Directory != "https://127.0.0.1:14000/dir" || a.CA != string(ca) ||
		a.Storage != filepath.Join(dir, "state", "acme") || !a.AgreeTerms || len(a.Challenges) != 1 || a.Challenges[0] != acme.HTTP01 {
		t.Fatalf("acme options: %+v", a)
	}
	found := false
	for _, o := range cfg.Orders {
		if al, ok := o.(order.AddListener); ok && al.Address == "127.0.0.1:8443" {
			found = al.ACME
		}
	}
	if !found {
		t.Fatalf("the listener's order lacks acme = true: %+v", cfg.Orders)
	}

	// The defaults, and no section: no ACME.
	if err := os.WriteFile(path, []byte("[acme]\nagree_terms = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = Load(path); err != nil {
		t.Fatal(err)
	}
	if a := cfg.Proxy.ACME; a.Directory != acme.LetsEncrypt || a.Storage != filepath.Join(dir, DefaultACMEStorage) || a.Challenges != nil {
		t.Fatalf("defaults: %+v", a)
	}
	if err := os.WriteFile(path, []byte("log_level = \"info\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = Load(path); err != nil || cfg.Proxy.ACME != nil {
		t.Fatalf("without [acme]: %v %+v", err, cfg.Proxy.ACME)
	}
}

// TestACMEDocExample: the first TOML example of docs/tls.md's ACME
// section is a configuration a user can paste.
func TestACMEDocExample(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "docs", "tls.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(text), "\n## ACME\n")
	_, block, ok2 := strings.Cut(sec, "```toml\n")
	body, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/tls.md has no ACME section with a TOML example")
	}
	path := filepath.Join(t.TempDir(), "sluice.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Proxy.ACME == nil || !cfg.Proxy.ACME.AgreeTerms {
		t.Fatalf("the example configures no ACME: %+v", cfg.Proxy.ACME)
	}
}
