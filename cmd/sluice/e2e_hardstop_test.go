package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// TestHardStopPooledBackend: a hard stop with a request in flight on a
// pooled (reused) backend connection returns promptly: the backend
// connection is cut, whatever back_timeout says.
func TestHardStopPooledBackend(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir, origin(t), `back_timeout = "30s"`)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	// A first request leaves its backend connection in the pool.
	resp, err := client.Get("http://" + d.front + "/first")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	testwait.For(t, "the backend connection pooled", func() bool {
		out, _, _ := cli(t, dir, "-s", "sluice.sock", "--json", "backend", "list")
		return strings.Contains(out, `"idle_connections": 1`)
	})
	result := make(chan error, 1)
	go func() {
		resp, err := client.Get("http://" + d.front + "/slow?sleep=25s")
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		result <- err
	}()
	testwait.For(t, "the slow request on the pooled connection", func() bool {
		out, _, _ := cli(t, dir, "-s", "sluice.sock", "--json", "backend", "list")
		return strings.Contains(out, `"in_flight": 1`) && strings.Contains(out, `"idle_connections": 0`)
	})
	began := time.Now()
	if _, stderr, code := cli(t, dir, "-s", "sluice.sock", "shutdown", "--hard"); code != 0 {
		t.Fatalf("shutdown --hard: exit %d %s", code, stderr)
	}
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit code %d\n%s", code, d.stderr)
	}
	took := time.Since(began)
	t.Logf("hard stop with a request on a pooled backend connection: exited %v after the order", took)
	if err := <-result; err == nil {
		t.Fatal("the slow request completed: the hard stop did not cut it")
	}
	if took > 5*time.Second {
		t.Fatalf("the hard stop took %v (back_timeout 30s): the pooled backend connection was not cut", took)
	}
}
