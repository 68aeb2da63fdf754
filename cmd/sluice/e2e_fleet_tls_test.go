package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/internal/etcdtest"
)

// TestFleetCLISecure: fleet mode against an etcd with TLS, client
// certificates and authentication, configured as the docs say: the CLI
// pushes and sets with the file's [provider.etcd], `sluice start` follows
// and serves the change; without the client certificate, or with a wrong
// password, the CLI fails and names the cause.
func TestFleetCLISecure(t *testing.T) {
	dir := t.TempDir()
	o, err := etcdtest.WriteCerts(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := etcdtest.NewWith(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	if err := e.EnableAuth("root-secret", "sluice", "s3cret", "/e2e/"); err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf(`[provider.etcd]
endpoints = [%q]
prefix = "/e2e/"
instance_id = "edge-1"
cert_file = "etcd-client.pem"
key_file = "etcd-client.key"
ca_file = "etcd-ca.pem"
username = "sluice"
password = "s3cret"
`, e.Endpoint())
	backend, other := origin(t), namedOrigin(t, "other")
	front := freePort(t)
	writeConfig(t, dir, front, backend, extra)
	if out, errOut, code := cli(t, dir, "-c", "sluice.toml", "fleet", "push"); code != 0 || !strings.Contains(out, "written at revision") {
		t.Fatalf("push: %d %s %s", code, out, errOut)
	}
	start(t, dir, backend, extra, front)
	for _, args := range [][]string{
		{"cluster", "other", `{}`},
		{"backend", "other/o1", fmt.Sprintf(`{"address":%q}`, other)},
		{"frontend", "api", fmt.Sprintf(`{"address":%q,"hostname":"api.test","path":"/v2","cluster_id":"other"}`, front)},
	} {
		if out, errOut, code := cli(t, dir, append([]string{"-c", "sluice.toml", "fleet", "set"}, args...)...); code != 0 {
			t.Fatalf("set %v: %d %s %s", args, code, out, errOut)
		}
	}
	waitServed(t, front, "api.test", "/v2/x", "other /v2/x", other)
	if out, _, _ := cli(t, dir, "-c", "sluice.toml", "status"); !strings.Contains(out, "fleet: etcd reachable") {
		t.Fatalf("status:\n%s", out)
	}

	flags := []string{"fleet", "status", "--endpoints", e.Endpoint(), "--prefix", "/e2e/", "--timeout", "1s", "--cacert", "etcd-ca.pem"}
	if out, errOut, code := cli(t, dir, append(flags, "--cert", "etcd-client.pem", "--key", "etcd-client.key", "--user", "sluice:s3cret")...); code != 0 ||
		!strings.Contains(out, "edge-1") {
		t.Fatalf("status with flags: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := cli(t, dir, append(flags, "--user", "sluice:s3cret")...); code != 3 ||
		!strings.Contains(errOut, "tls: certificate required") {
		t.Fatalf("without the client certificate: %d %s", code, errOut)
	}
	if _, errOut, code := cli(t, dir, append(flags, "--cert", "etcd-client.pem", "--key", "etcd-client.key", "--user", "sluice:wrong")...); code != 1 ||
		!strings.Contains(errOut, "authentication failed") {
		t.Fatalf("a wrong password: %d %s", code, errOut)
	}
}
