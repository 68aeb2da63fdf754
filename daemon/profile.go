package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"sync"
	"time"
)

// ProfileEnv names the environment variable that turns on Go's profiling
// endpoints (net/http/pprof under /debug/pprof/) at start: its value is a
// loopback address, host:port ("127.0.0.1:6060", "[::1]:6060"; port 0 picks
// one, logged). Unset or empty, the default, nothing listens. It is a
// debugging switch of the process, not of the proxy: it is read once at
// start, is not in the configuration or the state, and its socket is not
// handed over by an upgrade (the new process reads the variable again).
const ProfileEnv = "SLUICE_PPROF"

// profiler serves /debug/pprof/ on a loopback socket until closed.
type profiler struct {
	srv *http.Server
	ln  net.Listener
	wg  sync.WaitGroup
}

// startProfiler serves the profiling endpoints on addr; a nil profiler
// when addr is empty. Any address other than a loopback IP is refused: the
// endpoints show the process's memory and command line and cost CPU.
func startProfiler(addr string, log *slog.Logger) (*profiler, error) {
	if addr == "" {
		return nil, nil
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: want a loopback IP and port (127.0.0.1:6060): %w", ProfileEnv, addr, err)
	}
	if !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("%s=%q: only a loopback address is allowed", ProfileEnv, addr)
	}
	ln, err := net.Listen("tcp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("%s: listening: %w", ProfileEnv, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p := &profiler{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("profiling endpoint stopped", "address", addr, "error", err)
		}
	}()
	log.Warn("serving Go profiling endpoints", "address", ln.Addr().String(), "path", "/debug/pprof/", "env", ProfileEnv)
	return p, nil
}

// Addr is where the endpoints listen.
func (p *profiler) Addr() net.Addr { return p.ln.Addr() }

// close stops the endpoint and waits for its goroutine; nil-safe.
func (p *profiler) close() {
	if p == nil {
		return
	}
	p.srv.Close()
	p.wg.Wait()
}
