package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyDocExamples: every TOML example of docs/policy.md is a file
// that loads (certificates from testdata).
func TestPolicyDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```toml\n")[1:]
	if len(blocks) < 5 {
		t.Fatalf("%d examples", len(blocks))
	}
	for i, b := range blocks {
		text, _, _ := strings.Cut(b, "```")
		path := writeConfig(t, text)
		if _, err := Load(path); err != nil {
			t.Errorf("example %d (%s):\n%v", i+1, filepath.Base(path), err)
		}
	}
}
