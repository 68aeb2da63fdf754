package daemon

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestProfilerServesPprofOnLoopback(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := startProfiler("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	resp, err := http.Get("http://" + p.Addr().String() + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(b) == 0 {
		t.Fatalf("GET /debug/pprof/cmdline: %d %q", resp.StatusCode, b)
	}
}

func TestProfilerOffOrRefused(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if p, err := startProfiler("", log); p != nil || err != nil {
		t.Fatalf("empty address: %v, %v; want nothing", p, err)
	}
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:6060", "localhost:6060", "127.0.0.1", ":6060"} {
		p, err := startProfiler(addr, log)
		if err == nil {
			p.close()
			t.Errorf("%q: accepted; want refused", addr)
		} else if !strings.Contains(err.Error(), ProfileEnv) {
			t.Errorf("%q: error %q does not name %s", addr, err, ProfileEnv)
		}
	}
}
