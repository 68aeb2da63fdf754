package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/config"
	"github.com/sluiceproxy/sluice/daemon"
	"github.com/sluiceproxy/sluice/internal/testbuf"
	"github.com/sluiceproxy/sluice/internal/testport"
	"github.com/sluiceproxy/sluice/order"
)

// wait bounds every blocking step of the tests.
const wait = 10 * time.Second

// The tokens of the test daemons, given through the environment.
const (
	writeToken = "write-token-0123456789abcdef"
	readToken  = "read-only-token-0123456789abcdef"
)

// freePort is a 127.0.0.1 address to name in a configuration before the
// daemon listens on it (see package testport).
func freePort(t *testing.T) string { return testport.Free(t) }

// testDaemon is daemon.Run in this process: a configuration file with an
// http, an https and a tcp listener, two clusters, and the admin API with
// a write and a read-only token.
type testDaemon struct {
	dir, sock, admin   string
	httpL, httpsL, tcp string
	sigs               chan os.Signal
	done               chan error
	log                *syncBuffer
	client             *command.Client
}

// syncBuffer is a buffer the test reads while the daemon writes to it.
type syncBuffer = testbuf.Buffer

func startDaemon(t *testing.T) *testDaemon {
	t.Helper()
	t.Setenv("SLUICE_TEST_ADMIN_TOKEN", writeToken)
	t.Setenv("SLUICE_TEST_ADMIN_RO", readToken)
	d := &testDaemon{dir: t.TempDir(), admin: freePort(t), httpL: freePort(t), httpsL: freePort(t), tcp: freePort(t),
		sigs: make(chan os.Signal, 2), done: make(chan error, 1), log: &syncBuffer{}}
	d.sock = filepath.Join(d.dir, "sluice.sock")
	conf := fmt.Sprintf(`
command_socket = "sluice.sock"
access_log = "off"
log_level = "warn"

[admin]
address = %q
token_env = "SLUICE_TEST_ADMIN_TOKEN"
read_only_token_env = "SLUICE_TEST_ADMIN_RO"

[[listeners]]
protocol = "http"
address = %q

[[listeners]]
protocol = "https"
address = %q

[[listeners]]
protocol = "tcp"
address = %q

[clusters.shop]
frontends = [{ address = %q, hostname = "shop.test", path = "/api" }]
backends = [{ id = "shop-1", address = "127.0.0.1:9", weight = 10 }]

[clusters.db]
protocol = "tcp"
frontends = [{ address = %q }]
backends = [{ id = "db-1", address = "127.0.0.1:9" }]
`, d.admin, d.httpL, d.httpsL, d.tcp, d.httpL, d.tcp)
	path := filepath.Join(d.dir, "sluice.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		d.done <- daemon.Run(cfg, daemon.Options{Stderr: d.log, Signals: d.sigs,
			Ready: func() { close(ready) }, Binary: filepath.Join(d.dir, "no-such-binary")})
	}()
	select {
	case <-ready:
	case err := <-d.done:
		t.Fatalf("daemon: %v\n%s", err, d.log)
	case <-time.After(wait):
		t.Fatalf("the daemon did not start\n%s", d.log)
	}
	d.client, err = command.Dial(d.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.client.Close()
		d.stop(t)
		http.DefaultClient.CloseIdleConnections()
	})
	return d
}

// stop ends the daemon with SIGTERM, unless it ended already.
func (d *testDaemon) stop(t *testing.T) {
	select {
	case d.sigs <- syscall.SIGTERM:
	default:
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("daemon: %v", err)
		}
		d.done <- nil
	case <-time.After(wait):
		t.Errorf("the daemon did not stop\n%s", d.log)
	}
}

// socket sends o on the command socket and returns its final answer.
func (d *testDaemon) socket(t *testing.T, o order.Order) order.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	resp, err := d.client.Do(ctx, o, nil)
	if err != nil {
		t.Fatalf("%s on the socket: %v", o.Kind(), err)
	}
	return resp
}

// must sends o on the socket and fails the test on an error answer.
func (d *testDaemon) must(t *testing.T, o order.Order) order.Response {
	t.Helper()
	resp := d.socket(t, o)
	if resp.Status != order.StatusOK {
		t.Fatalf("%s: %s", o.Kind(), resp.Message)
	}
	return resp
}

// call sends an HTTP request to the admin API with the token (none when
// ""), and returns the status and the decoded answer.
func (d *testDaemon) call(t *testing.T, token, method, path, body string, header ...string) (int, order.Response) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+d.admin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out order.Response
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d, not an answer: %v\n%s", method, path, resp.StatusCode, err, b)
	}
	return resp.StatusCode, out
}

// dump is the state with its keys, as JSON.
func (d *testDaemon) dump(t *testing.T) *order.State {
	t.Helper()
	return d.must(t, order.DumpState{WithKeys: true}).Content.State
}

// restore makes the configuration st again (one reload).
func (d *testDaemon) restore(t *testing.T, st *order.State) {
	t.Helper()
	d.must(t, order.Reload{Target: order.Requests(st.Orders())})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dialSocket(d *testDaemon) (*command.Client, error) { return command.Dial(d.sock) }
