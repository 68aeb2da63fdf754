package fleet_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/fleet"
	"github.com/sluiceproxy/sluice/internal/etcdtest"
	"github.com/sluiceproxy/sluice/internal/fleettest"
)

// secureEtcd is an embedded etcd as a careful operator runs it: TLS on
// the client port with a server certificate for 127.0.0.1 (its own CA),
// client certificates required (signed by another CA), and etcd's
// authentication on, with a user sluice allowed the fleet's prefix. It
// returns the etcd and the folder holding etcd-ca.pem (the server's CA),
// etcd-client.pem and etcd-client.key (a client certificate).
func secureEtcd(t *testing.T) (*etcdtest.Server, string) {
	t.Helper()
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
	if !strings.HasPrefix(e.Endpoint(), "https://") {
		t.Fatalf("endpoint %s", e.Endpoint())
	}
	if err := e.EnableAuth("root-secret", "sluice", "s3cret", prefix); err != nil {
		t.Fatal(err)
	}
	return e, dir
}

// etcdConfig loads [provider.etcd] from a sluice.toml in dir with the
// keys given, as the daemon would.
func etcdConfig(t *testing.T, dir string, e *etcdtest.Server, keys string) *fleet.ClientConfig {
	t.Helper()
	file := filepath.Join(dir, "sluice.toml")
	body := fmt.Sprintf("[provider.etcd]\nendpoints = [%q]\nprefix = %q\n%s", e.Endpoint(), prefix, keys)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Etcd == nil {
		t.Fatal("no [provider.etcd]")
	}
	return cfg.Etcd
}

const userKeys = `cert_file = "etcd-client.pem"
key_file = "etcd-client.key"
ca_file = "etcd-ca.pem"
username = "sluice"
password = "s3cret"
`

// TestSecureEtcd: an instance configured with a client certificate, the
// server's CA and a user follows a TLS etcd with client-cert-auth and
// authentication on, and serves a change written with fleet's writes.
func TestSecureEtcd(t *testing.T) {
	e, dir := secureEtcd(t)
	cc := etcdConfig(t, dir, e, userKeys)
	cli, err := fleet.Dial(*cc)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	shared := sharedAddr(t)
	rev := baseFleet(t, cli, shared, origin(t, "a"), origin(t, "b"))
	in, err := fleettest.Start(fleettest.Options{Etcd: cc, Prefix: prefix, ID: "edge-1", Listen: []string{shared}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := in.Stop(); err != nil {
			t.Error(err)
		}
	}()
	if err := in.WaitRevision(rev, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the instance's record", 10*time.Second, func() bool {
		list, err := fleet.List(context.Background(), cli, layout)
		return err == nil && len(list.Instances) == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := fleet.Commit(ctx, cli, layout, fleet.Write{Put: map[string][]byte{
		layout.Key(fleet.Frontends, "www"): fmt.Appendf(nil, `{"address":%q,"hostname":"www.test","cluster_id":"b"}`, shared)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.WaitRevision(res.Revision, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if code, body, err := get(in.Addr(shared), "www.test"); err != nil || code != 200 || body != "b www.test" {
		t.Fatalf("the change does not serve: %d %q %v", code, body, err)
	}
}

// TestSecureEtcdRefused: the same instance without its client
// certificate, or with a wrong password, starts (it serves what it had)
// and says why etcd does not answer; it applies nothing.
func TestSecureEtcdRefused(t *testing.T) {
	e, dir := secureEtcd(t)
	cli, err := fleet.Dial(*etcdConfig(t, dir, e, userKeys))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	shared := sharedAddr(t)
	baseFleet(t, cli, shared, origin(t, "a"), origin(t, "b"))
	for _, tc := range []struct{ name, keys, want string }{
		{"no client certificate", "ca_file = \"etcd-ca.pem\"\nusername = \"sluice\"\npassword = \"s3cret\"\n",
			"TLS: remote error: tls: certificate required"},
		{"wrong password", strings.Replace(userKeys, "s3cret", "wrong", 1), "authentication failed"},
		{"a certificate but no user", "cert_file = \"etcd-client.pem\"\nkey_file = \"etcd-client.key\"\nca_file = \"etcd-ca.pem\"\n",
			"permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := fleettest.Start(fleettest.Options{Etcd: etcdConfig(t, dir, e, tc.keys), Prefix: prefix,
				ID: "edge-1", Listen: []string{shared}, NoRegister: true})
			if err != nil {
				t.Fatalf("the instance does not start: %v", err)
			}
			defer func() {
				if err := in.Stop(); err != nil {
					t.Error(err)
				}
			}()
			waitFor(t, "the cause", 5*time.Second, func() bool {
				st := in.Follower.Status()
				return st.Since != "" && strings.Contains(st.Unreachable, tc.want)
			})
			st := in.Follower.Status()
			if st.Connected || st.Revision != 0 || st.Applied != 0 {
				t.Fatalf("status %+v", st)
			}
			if got := dump(t, in); strings.Contains(got, "www.test") {
				t.Fatalf("applied etcd's configuration: %s", got)
			}
		})
	}
}

// TestSecureEtcdAwayAtStart: an instance with a user starts while etcd
// is away (the client authenticates once etcd answers) and catches up
// when etcd starts; a user on an etcd without authentication is harmless.
func TestSecureEtcdAwayAtStart(t *testing.T) {
	e, dir := secureEtcd(t)
	cc := etcdConfig(t, dir, e, userKeys)
	cli, err := fleet.Dial(*cc)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	shared := sharedAddr(t)
	rev := baseFleet(t, cli, shared, origin(t, "a"), origin(t, "b"))
	e.Stop()
	in, err := fleettest.Start(fleettest.Options{Etcd: cc, Prefix: prefix, ID: "edge-1", Listen: []string{shared},
		Logger: slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("the instance does not start while etcd is away: %v", err)
	}
	defer func() {
		if err := in.Stop(); err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, "etcd unreachable", 5*time.Second, func() bool {
		return strings.Contains(in.Follower.Status().Unreachable, "connect: ")
	})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	if err := in.WaitRevision(rev, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if code, body, err := get(in.Addr(shared), "www.test"); err != nil || code != 200 || body != "a www.test" {
		t.Fatalf("after etcd's start: %d %q %v", code, body, err)
	}

	plain := startEtcd(t)
	pc, err := fleet.Dial(fleet.ClientConfig{Endpoints: []string{plain.Endpoint()}, Username: "sluice", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := pc.Put(ctx, layout.Key(fleet.Clusters, "c"), "{}"); err != nil {
		t.Fatalf("a user on an etcd without authentication: %v", err)
	}
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }
