package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// golden is what the golden file records of a loaded configuration.
type golden struct {
	Orders []order.Kind `json:"orders"`
	State  *order.State `json:"state"`
}

func TestLoadFull(t *testing.T) {
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(filepath.Join("testdata", "full.toml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	checks := []struct {
		name      string
		got, want any
	}{
		{"Path", cfg.Path, filepath.Join(dir, "full.toml")},
		{"CommandSocket", cfg.CommandSocket, filepath.Join(dir, "sluice.sock")},
		{"SavedState", cfg.SavedState, filepath.Join(dir, "state.json")},
		{"AccessLog", cfg.AccessLog, filepath.Join(dir, "logs", "access.log")},
		{"LogLevel", cfg.LogLevel, slog.LevelDebug},
		{"MaxConnections", cfg.Proxy.MaxConnections, 5000},
		{"FrontTimeout", cfg.Proxy.FrontTimeout, 60 * time.Second},
		{"BackTimeout", cfg.Proxy.BackTimeout, 45 * time.Second},
		{"ConnectTimeout", cfg.Proxy.ConnectTimeout, 3 * time.Second},
		{"RequestTimeout", cfg.Proxy.RequestTimeout, 10 * time.Second},
		{"MaxHeadBytes", cfg.Proxy.MaxHeadBytes, DefaultMaxHeadBytes},
		{"MaxHeaderFields", cfg.Proxy.MaxHeaderFields, DefaultMaxHeaderFields},
		{"ShutdownGrace", cfg.ShutdownGrace, time.Minute},
		{"IdleBackendTimeout", cfg.Proxy.IdleBackendTimeout, 4 * time.Second},
		{"Proxy.ShutdownGrace", cfg.Proxy.ShutdownGrace, time.Minute},
		{"UpgradeTimeout", cfg.UpgradeTimeout, 20 * time.Second},
		{"Proxy.Listeners", len(cfg.Proxy.Listeners), 0},
		{"PrometheusAddress", cfg.Metrics.PrometheusAddress, "127.0.0.1:9100"},
		{"StatsdAddress", cfg.Metrics.StatsdAddress, ""},
		{"Admin.Address", cfg.Admin.Address, "0.0.0.0:9090"},
		{"Admin.TokenFile", cfg.Admin.TokenFile, filepath.Join(dir, "admin.token")},
		{"Admin.TokenEnv", cfg.Admin.TokenEnv, ""},
		{"Admin.ReadOnlyTokenEnv", cfg.Admin.ReadOnlyTokenEnv, "SLUICE_ADMIN_RO"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	s := state.New()
	g := golden{}
	for i, o := range cfg.Orders {
		next, _, err := s.Apply(o)
		if err != nil {
			t.Fatalf("order %d (%s): %v", i, o.Kind(), err)
		}
		s = next
		g.Orders = append(g.Orders, o.Kind())
	}
	g.State = s.Dump()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "full.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("state differs from %s (run with -update to rewrite it):\n%s", path, got)
	}
}

func TestDefaults(t *testing.T) {
	path := writeConfig(t, "")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if cfg.CommandSocket != filepath.Join(dir, "sluice.sock") || cfg.SavedState != "" || cfg.AccessLog != "stdout" ||
		cfg.LogLevel != slog.LevelInfo || cfg.ShutdownGrace != 30*time.Second || len(cfg.Orders) != 0 ||
		cfg.UpgradeTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", cfg)
	}
	p := cfg.Proxy
	if p.MaxConnections != 10000 || p.FrontTimeout != 60*time.Second || p.BackTimeout != 30*time.Second ||
		p.ConnectTimeout != 3*time.Second || p.RequestTimeout != 10*time.Second || p.MaxHeadBytes != 32768 ||
		p.MaxHeaderFields != 100 || p.ShutdownGrace != 30*time.Second || p.TunnelTimeout != time.Hour ||
		p.KeepAliveTimeout != 10*time.Second || p.MaxConnectionsPerIP != 0 || p.IdleBackendTimeout != 10*time.Second {
		t.Errorf("proxy defaults: %+v", p)
	}
	cfg, err = Load(writeConfig(t, "log_level = \"trace\"\naccess_log = \"off\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != slog.LevelDebug-4 || cfg.AccessLog != "off" {
		t.Errorf("trace/off: %v %q", cfg.LogLevel, cfg.AccessLog)
	}
}

// TestProxyProtocolKeys: expect_proxy, send_proxy and tunnel_timeout reach
// the orders and the proxy settings.
func TestProxyProtocolKeys(t *testing.T) {
	cfg, err := Load(writeConfig(t, `tunnel_timeout = "2h"
[[listeners]]
protocol = "tcp"
address = "127.0.0.1:9000"
expect_proxy = true
[[listeners]]
protocol = "http"
address = "127.0.0.1:9001"
expect_proxy = true
tunnel_timeout = "30m"
[clusters.db]
protocol = "tcp"
send_proxy = true
frontends = [ { address = "127.0.0.1:9000" } ]
backends = [ { id = "a", address = "127.0.0.1:5432" } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Proxy.TunnelTimeout != 2*time.Hour {
		t.Errorf("tunnel_timeout %v", cfg.Proxy.TunnelTimeout)
	}
	var tcpL, httpL order.Listener
	var c order.Cluster
	var f order.TCPFrontend
	for _, o := range cfg.Orders {
		switch o := o.(type) {
		case order.AddListener:
			if o.Protocol == order.TCP {
				tcpL = o.Listener
			} else {
				httpL = o.Listener
			}
		case order.AddCluster:
			c = o.Cluster
		case order.AddTCPFrontend:
			f = o.TCPFrontend
		}
	}
	if !tcpL.ExpectProxy || !httpL.ExpectProxy || httpL.TunnelTimeout.D() != 30*time.Minute {
		t.Errorf("listeners %+v %+v", tcpL, httpL)
	}
	if !c.SendProxy || c.Protocol != order.TCP || f.ClusterID != "db" || f.Address != "127.0.0.1:9000" {
		t.Errorf("cluster %+v, frontend %+v", c, f)
	}
}

// TestConnectionKeys: keepalive_timeout and max_connections_per_ip reach
// the proxy settings (top level) and the listeners' orders.
func TestConnectionKeys(t *testing.T) {
	cfg, err := Load(writeConfig(t, `keepalive_timeout = "3s"
max_connections_per_ip = 50
[[listeners]]
protocol = "http"
address = "127.0.0.1:9001"
keepalive_timeout = "750ms"
max_connections_per_ip = 8
[[listeners]]
protocol = "tcp"
address = "127.0.0.1:9002"
max_connections_per_ip = 2
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Proxy.KeepAliveTimeout != 3*time.Second || cfg.Proxy.MaxConnectionsPerIP != 50 {
		t.Errorf("proxy settings %v %d", cfg.Proxy.KeepAliveTimeout, cfg.Proxy.MaxConnectionsPerIP)
	}
	got := map[order.Protocol]order.Listener{}
	for _, o := range cfg.Orders {
		if o, ok := o.(order.AddListener); ok {
			got[o.Protocol] = o.Listener
		}
	}
	if l := got[order.HTTP]; l.KeepAliveTimeout.D() != 750*time.Millisecond || l.MaxConnectionsPerIP != 8 {
		t.Errorf("http listener %+v", l)
	}
	if l := got[order.TCP]; l.KeepAliveTimeout != 0 || l.MaxConnectionsPerIP != 2 {
		t.Errorf("tcp listener %+v", l)
	}
}

// TestRelativePaths loads the full example from another working directory:
// its relative paths must resolve against the file's folder.
func TestRelativePaths(t *testing.T) {
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	cfg, err := Load(filepath.Join(dir, "full.toml"))
	if err != nil {
		t.Fatalf("Load from elsewhere: %v", err)
	}
	if cfg.CommandSocket != filepath.Join(dir, "sluice.sock") {
		t.Errorf("CommandSocket = %s", cfg.CommandSocket)
	}
	var answers map[string]string
	for _, o := range cfg.Orders {
		if a, ok := o.(order.AddListener); ok && a.Address == "127.0.0.1:8080" {
			answers = a.Answers
		}
	}
	want, _ := os.ReadFile(filepath.Join(dir, "errors", "404.html"))
	if answers["404"] != string(want) {
		t.Errorf("answer 404 = %q, want the content of errors/404.html", answers["404"])
	}

	// A relative path to Load is relative to the working directory, and the
	// paths inside still resolve against the file's folder.
	rel, err := filepath.Rel(mustGetwd(t), filepath.Join(dir, "full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(rel)
	if err != nil {
		t.Fatalf("Load(%s): %v", rel, err)
	}
	if cfg.Path != filepath.Join(dir, "full.toml") || cfg.SavedState != filepath.Join(dir, "state.json") {
		t.Errorf("Path %s, SavedState %s", cfg.Path, cfg.SavedState)
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// writeConfig writes text as sluice.toml in a temporary folder that also
// holds links to testdata/certs and testdata/errors, and returns its path.
func writeConfig(t testing.TB, text string) string {
	dir := t.TempDir()
	linkTestdata(t, dir)
	path := filepath.Join(dir, "sluice.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func linkTestdata(t testing.TB, dir string) {
	for _, sub := range []string{"certs", "errors"} {
		abs, err := filepath.Abs(filepath.Join("testdata", sub))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&Error{File: "a.toml", Line: 3, Column: 7, Msg: "bad"}, "a.toml:3:7: bad"},
		{&Error{File: "a.toml", Line: 3, Msg: "bad"}, "a.toml:3: bad"},
		{&Error{File: "a.toml", Msg: "bad"}, "a.toml: bad"},
		{Errors{{File: "a", Line: 1, Column: 2, Msg: "x"}, {File: "a", Msg: "y"}}, "a:1:2: x\na: y"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
	var e *Error
	if !errors.As(Errors{{File: "a", Msg: "y"}}, &e) || e.Msg != "y" {
		t.Error("errors.As does not find an *Error in Errors")
	}
}
