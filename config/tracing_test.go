package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/tracing"
)

func TestTracingTable(t *testing.T) {
	path := writeConfig(t, `
[tracing]
endpoint = "https://otel.example.com:4317"
protocol = "grpc"
ratio = 0.01
service_name = "edge"
ca_file = "certs/chain.pem"
queue_size = 4096
headers = { "x-api-key" = "secret", "x-team" = "edge" }
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &tracing.Config{Endpoint: "https://otel.example.com:4317", Protocol: "grpc", Ratio: 0.01, ServiceName: "edge",
		CAFile: filepath.Join(filepath.Dir(cfg.Path), "certs/chain.pem"), QueueSize: 4096,
		Headers: map[string]string{"x-api-key": "secret", "x-team": "edge"}}
	if !reflect.DeepEqual(cfg.Tracing, want) {
		t.Errorf("tracing %+v\nwant %+v", cfg.Tracing, want)
	}

	cfg, err = Load(writeConfig(t, "[tracing]\nendpoint = \"http://127.0.0.1:4318\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Tracing; c == nil || c.Ratio != 1 || c.Protocol != "" || c.Check() != nil {
		t.Errorf("defaults: %+v", c)
	}
	cfg, err = Load(writeConfig(t, "log_level = \"info\"\n"))
	if err != nil || cfg.Tracing != nil {
		t.Errorf("tracing without the table: %+v %v", cfg.Tracing, err)
	}
}

// TestTracingDocExample: the [tracing] example of observability.md is a
// configuration Load accepts.
func TestTracingDocExample(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "docs", "observability.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(text), "\n## Tracing\n")
	_, block, ok2 := strings.Cut(section, "```toml\n")
	body, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("observability.md has no TOML example under ## Tracing")
	}
	cfg, err := Load(writeConfig(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Tracing; c == nil || c.Ratio != 0.01 || c.ServiceName != "edge" {
		t.Errorf("tracing %+v", c)
	}
}
