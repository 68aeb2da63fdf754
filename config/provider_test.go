package config

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sluiceproxy/sluice/fleet"
)

func TestProviderEtcd(t *testing.T) {
	path := writeConfig(t, `[provider.etcd]
endpoints = ["https://127.0.0.1:2379", "https://127.0.0.2:2379"]
prefix = "/edge/"
cert_file = "client.pem"
key_file = "client.key"
ca_file = "/etc/etcd/ca.pem"
username = "sluice"
password = "secret"
instance_id = "edge-1"
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(cfg.Path)
	want := &fleet.ClientConfig{Endpoints: []string{"https://127.0.0.1:2379", "https://127.0.0.2:2379"}, Prefix: "/edge/",
		CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client.key"), CAFile: "/etc/etcd/ca.pem",
		Username: "sluice", Password: "secret", InstanceID: "edge-1"}
	if !reflect.DeepEqual(cfg.Etcd, want) {
		t.Fatalf("got %+v\nwant %+v", cfg.Etcd, want)
	}
	cfg, err = Load(writeConfig(t, "log_level = \"info\"\n"))
	if err != nil || cfg.Etcd != nil {
		t.Fatalf("without the table: %+v %v", cfg.Etcd, err)
	}
}
