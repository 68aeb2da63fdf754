package proxy_test

// Shared helpers of the integration tests: a proxy on a free loopback port
// driven through its order channel, origins (net/http and raw TCP) that count
// what reaches them, and raw clients for what net/http will not send.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testport"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// ioTimeout bounds every socket wait of a test, so a broken proxy fails the
// test instead of hanging it.
const ioTimeout = 10 * time.Second

// freeAddr returns a loopback address nobody listens on right now, below
// the ephemeral range (see package testport).
func freeAddr(t testing.TB) string { return testport.Free(t) }

func testLogger() *slog.Logger {
	if os.Getenv("SLUICE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// harness is one running proxy with an http listener on Addr, its order
// client, and an HTTP client of its own.
type harness struct {
	t      testing.TB
	Addr   string
	Client *proxy.Client
	Ctx    context.Context // lives as long as the test
	Tr     *http.Transport
	HC     *http.Client
}

// startProxy runs a proxy with one active http listener on a free port;
// mod may change the configuration first. The proxy is stopped (and Run
// waited for) when the test ends.
func startProxy(t testing.TB, mod func(*proxy.Config)) *harness {
	t.Helper()
	addr := freeAddr(t)
	cfg := proxy.Config{
		Listeners:     []order.Listener{{Protocol: order.HTTP, Address: addr, Active: true}},
		ShutdownGrace: 2 * time.Second,
		Logger:        testLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	client, end := proxy.NewChannel(64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- proxy.Run(ctx, cfg, end) }()
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}
	h := &harness{t: t, Addr: addr, Client: client, Ctx: ctx, Tr: tr,
		HC: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		// No input of the test may have crashed a session.
		sctx, scancel := context.WithTimeout(ctx, ioTimeout)
		if r, err := client.Do(sctx, order.Status{}); err != nil || r.Content == nil || r.Content.Status == nil {
			t.Errorf("status query at the end of the test: %v %+v", err, r)
		} else if n := r.Content.Status.Panics; n != 0 {
			t.Errorf("the proxy recovered from %d panics during the test", n)
		}
		scancel()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("proxy.Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("proxy.Run did not return after its context was cancelled")
		}
	})
	// Any answered order proves the configured listeners are bound.
	h.Must(order.Status{})
	return h
}

// must returns a checker for the two results of Client.Do that fails the
// test unless the order was answered ok: must(t)(client.Do(ctx, o)).
func must(t testing.TB) func(order.Response, error) order.Response {
	return func(r order.Response, err error) order.Response {
		t.Helper()
		if err != nil {
			t.Fatalf("order: %v", err)
		}
		if r.Status != order.StatusOK {
			t.Fatalf("order answered %s: %s", r.Status, r.Message)
		}
		return r
	}
}

// Do sends o and returns its final answer, failing on a transport error.
func (h *harness) Do(o order.Order) order.Response {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.Ctx, ioTimeout)
	defer cancel()
	r, err := h.Client.Do(ctx, o)
	if err != nil {
		h.t.Fatalf("%s: %v", o.Kind(), err)
	}
	return r
}

// Must sends o and fails the test unless it is answered ok.
func (h *harness) Must(o order.Order) order.Response {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.Ctx, ioTimeout)
	defer cancel()
	return must(h.t)(h.Client.Do(ctx, o))
}

func (h *harness) addCluster(id string) {
	h.t.Helper()
	h.Must(order.AddCluster{Cluster: order.Cluster{ID: id}})
}

// addFrontend adds f on the harness listener unless f names another one.
func (h *harness) addFrontend(f order.HTTPFrontend) {
	h.t.Helper()
	if f.Address == "" {
		f.Address = h.Addr
	}
	h.Must(order.AddHTTPFrontend{HTTPFrontend: f})
}

func (h *harness) addBackend(cluster, id, addr string) {
	h.t.Helper()
	h.Must(order.AddBackend{Backend: order.Backend{ClusterID: cluster, ID: id, Address: addr}})
}

// route sends every request for host to a new cluster named after it with
// the given backend addresses (ids b0, b1, ...).
func (h *harness) route(host string, backends ...string) string {
	h.t.Helper()
	id := "c-" + strings.NewReplacer("*", "star", ".", "_").Replace(host)
	h.addCluster(id)
	h.addFrontend(order.HTTPFrontend{Hostname: host, ClusterID: id})
	for i, b := range backends {
		h.addBackend(id, fmt.Sprintf("b%d", i), b)
	}
	return id
}

// request builds a request to the proxy with the given Host.
func (h *harness) request(method, host, path string, body io.Reader) *http.Request {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.Ctx, method, "http://"+h.Addr+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Host = host
	return req
}

// get sends GET host/path through the proxy and returns the response with
// its whole body.
func (h *harness) get(host, path string) (*http.Response, string) {
	h.t.Helper()
	return h.send(h.request("GET", host, path, nil))
}

func (h *harness) send(req *http.Request) (*http.Response, string) {
	h.t.Helper()
	resp, err := h.HC.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s%s: %v", req.Method, req.Host, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s%s: reading body: %v", req.Method, req.Host, req.URL.Path, err)
	}
	return resp, string(b)
}

// wantStatus fails unless resp has the status.
func wantStatus(t testing.TB, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d; body %q", resp.StatusCode, want, trim(body))
	}
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// origin is a net/http origin server that counts its connections and
// requests.
type origin struct {
	*httptest.Server
	Name     string
	Addr     string
	Quit     chan struct{} // closed when the test ends: blocked handlers return
	Requests atomic.Int64
	Opened   atomic.Int64 // connections accepted
	Closed   atomic.Int64 // connections closed (or hijacked)
}

// newOrigin starts an origin running handler (nil: answer "<name> <path>").
func newOrigin(t testing.TB, name string, handler http.HandlerFunc) *origin {
	t.Helper()
	o := newUnstartedOrigin(t, name, handler)
	o.Start()
	o.Addr = o.Listener.Addr().String()
	return o
}

// newUnstartedOrigin is newOrigin without the start (Start or StartTLS
// it, then set Addr); it is closed when the test ends.
func newUnstartedOrigin(t testing.TB, name string, handler http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{Name: name, Quit: make(chan struct{})}
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s", name, r.URL.Path)
		}
	}
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.Requests.Add(1)
		handler(w, r)
	}))
	o.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			o.Opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			o.Closed.Add(1)
		}
	}
	o.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS origins log refused handshakes
	t.Cleanup(func() {
		close(o.Quit)
		o.Close()
	})
	return o
}

// rawOrigin is a TCP server whose connections are served by a function of
// the test; it closes them all when the test ends.
type rawOrigin struct {
	Addr     string
	Accepted atomic.Int64
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

func newRawOrigin(t testing.TB, serve func(c net.Conn)) *rawOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &rawOrigin{Addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.Accepted.Add(1)
			o.mu.Lock()
			o.conns[c] = struct{}{}
			o.mu.Unlock()
			o.wg.Add(1)
			go func() {
				defer o.wg.Done()
				defer func() {
					c.Close()
					o.mu.Lock()
					delete(o.conns, c)
					o.mu.Unlock()
				}()
				_ = c.SetDeadline(time.Now().Add(30 * time.Second))
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		o.mu.Lock()
		for c := range o.conns {
			c.Close()
		}
		o.mu.Unlock()
		o.wg.Wait()
	})
	return o
}

// open is the number of connections not yet closed by the origin.
func (o *rawOrigin) open() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.conns)
}

// readHead reads a request or response head (up to the empty line) and
// returns its lines without line endings, the first line included.
func readHead(br *bufio.Reader) ([]string, error) {
	var lines []string
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return lines, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			return lines, nil
		}
		lines = append(lines, l)
	}
}

// headerValues returns the values of the fields named name in head lines.
func headerValues(lines []string, name string) []string {
	var out []string
	for _, l := range lines[min(1, len(lines)):] {
		n, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(n), name) {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// rawClient is a client connection for hand-written requests.
type rawClient struct {
	t  testing.TB
	C  net.Conn
	BR *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, C: c, BR: bufio.NewReader(c)}
}

func (rc *rawClient) write(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.C, s); err != nil {
		rc.t.Fatalf("writing to the proxy: %v", err)
	}
}

// read reads one response to a request with the given method, with its
// whole body.
func (rc *rawClient) read(method string) (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.BR, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatalf("reading a response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("reading a response body: %v", err)
	}
	return resp, string(b)
}

// expectClosed fails unless the proxy closes the connection (after any
// bytes still in flight) within d.
func (rc *rawClient) expectClosed(d time.Duration) {
	rc.t.Helper()
	_ = rc.C.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, rc.BR)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			rc.t.Fatalf("connection still open after %v", d)
		}
		// A reset is a close too.
	}
	if n > 0 {
		rc.t.Errorf("%d unexpected bytes before the close", n)
	}
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// payload returns n deterministic pseudo-random bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// hashReader returns the SHA-256 and length of r.
func hashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
