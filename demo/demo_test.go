package demo

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/sluiceproxy/sluice/command"
	"github.com/sluiceproxy/sluice/order"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemo runs the demo as a user would: two requests alternate between
// the two origins, then the printed "backend add" line (sent through the
// command socket) brings the third origin into the rotation.
func TestDemo(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	sock := filepath.Join(t.TempDir(), "demo.sock")
	var out bytes.Buffer
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Address: addr, Socket: sock, Out: &out,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: func(string) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	get := func() string {
		resp, err := (&http.Client{Transport: tr}).Get("http://" + addr + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return regexp.MustCompile(`origin-\d`).FindString(string(b))
	}
	if a, b := get(), get(); a != "origin-1" || b != "origin-2" {
		t.Fatalf("round robin gave %s, %s", a, b)
	}
	m := regexp.MustCompile(`backend add --cluster demo --id origin-3 --address (\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), sock) {
		t.Fatalf("instructions lack the add line or the socket:\n%s", out.String())
	}
	c, err := command.Dial(sock)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(ctx, order.AddBackend{Backend: order.Backend{ClusterID: "demo", ID: "origin-3", Address: m[1]}}, nil)
	c.Close()
	if err != nil || resp.Status != order.StatusOK {
		t.Fatalf("add origin-3: %+v %v", resp, err)
	}
	seen := map[string]bool{}
	for range 6 {
		seen[get()] = true
	}
	if !seen["origin-3"] {
		t.Fatalf("origin-3 never served: %v", seen)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
