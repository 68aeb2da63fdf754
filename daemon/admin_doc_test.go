package daemon_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// TestAdminDocExamples runs the curl examples of docs/admin-api.md, as a
// user pastes them, against a daemon: every answer is ok. The daemon has
// a cluster shop already, so the examples' cluster is renamed, and their
// listeners' addresses are the test's.
func TestAdminDocExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "admin-api.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(doc), "## Examples")
	_, block, _ := strings.Cut(after, "```sh\n")
	script, _, _ := strings.Cut(block, "```")
	d := startDaemon(t)
	script = strings.NewReplacer(
		"127.0.0.1:9090", d.admin, "127.0.0.1:8080", freePort(t), "0.0.0.0:8443", d.httpsL,
		`"id":"shop"`, `"id":"doc"`, `"cluster_id":"shop"`, `"cluster_id":"doc"`,
		"clusters/shop", "clusters/doc", "cluster_id=shop", "cluster_id=doc",
	).Replace(script)
	dir := t.TempDir()
	leaf := testcert.NewCA().Leaf([]string{"shop.example.com"}, testcert.Options{})
	for name, content := range map[string]string{"admin.token": writeToken + "\n", "shop.pem": leaf.Cert, "shop.key": leaf.Key} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the examples: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if n := strings.Count(script, "curl -s"); len(lines) != n {
		t.Errorf("%d answers to %d curl commands:\n%s", len(lines), n, out)
	}
	for i, line := range lines {
		var resp order.Response
		if err := json.Unmarshal([]byte(line), &resp); err != nil || resp.Status != order.StatusOK {
			t.Errorf("answer %d: %v %s", i+1, err, line)
		}
	}
	// The last example stops the proxy softly.
	select {
	case err := <-d.done:
		d.done <- err
	case <-time.After(wait):
		t.Error("the shutdown example did not stop the proxy")
	}
}
