package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsExamples: the TOML examples of the routing and rewrite docs are
// whole configurations a user can paste: Load accepts them.
func TestDocsExamples(t *testing.T) {
	for _, doc := range []string{"routing.md", "http.md", "tcp.md", "fleet.md"} {
		text, err := os.ReadFile(filepath.Join("..", "docs", doc))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, block := range strings.Split(string(text), "```toml\n")[1:] {
			body, _, _ := strings.Cut(block, "```")
			n++
			path := filepath.Join(t.TempDir(), "sluice.toml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err != nil {
				t.Errorf("%s, example %d: %v", doc, n, err)
			}
		}
		if n == 0 {
			t.Errorf("%s has no TOML example", doc)
		}
	}
}
