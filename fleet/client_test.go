package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDialRefusesBadTLS: the TLS settings are checked when the client is
// made, with the file at fault named.
func TestDialRefusesBadTLS(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    ClientConfig
		want string
	}{
		{ClientConfig{}, "no endpoints"},
		{ClientConfig{Endpoints: []string{"https://127.0.0.1:1"}, CertFile: "c.pem"}, "cert_file and key_file go together"},
		{ClientConfig{Endpoints: []string{"https://127.0.0.1:1"}, CertFile: filepath.Join(dir, "none.pem"), KeyFile: filepath.Join(dir, "none.key")}, "client certificate"},
		{ClientConfig{Endpoints: []string{"https://127.0.0.1:1"}, CAFile: filepath.Join(dir, "none.pem")}, "ca_file"},
		{ClientConfig{Endpoints: []string{"https://127.0.0.1:1"}, CAFile: notPEM}, "no PEM certificate"},
	} {
		cli, err := Dial(tc.c)
		if err == nil {
			cli.Close()
			t.Fatalf("%+v: no error", tc.c)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}
