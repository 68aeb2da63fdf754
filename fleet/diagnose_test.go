package fleet_test

import (
	"context"
	"strings"
	"testing"
)

// TestDiagnose: the cause of a connection etcd refuses, or that the
// instance refuses, is named with its step; a good configuration has none.
func TestDiagnose(t *testing.T) {
	e, dir := secureEtcd(t)
	for _, tc := range []struct{ name, keys, want string }{
		{"no client certificate", `ca_file = "etcd-ca.pem"`, "TLS: remote error: tls: certificate required"},
		{"not the server's CA", "cert_file = \"etcd-client.pem\"\nkey_file = \"etcd-client.key\"\nca_file = \"client-ca.pem\"",
			"TLS: tls: failed to verify certificate"},
		{"good", "cert_file = \"etcd-client.pem\"\nkey_file = \"etcd-client.key\"\nca_file = \"etcd-ca.pem\"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := etcdConfig(t, dir, e, tc.keys+"\n")
			err := cc.Diagnose(context.Background())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), e.Endpoint()) {
				t.Fatalf("%v, want %q with the endpoint", err, tc.want)
			}
		})
	}
	e.Stop()
	cc := etcdConfig(t, dir, e, userKeys)
	if err := cc.Diagnose(context.Background()); err == nil || !strings.Contains(err.Error(), "connect: ") {
		t.Fatalf("etcd stopped: %v", err)
	}
}
