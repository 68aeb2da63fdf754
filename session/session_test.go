package session

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/exchange"
	"github.com/sluiceproxy/sluice/listener"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
)

// harness serves one listener with a catch-all route to one origin.
type harness struct {
	env  *Env
	ln   *listener.HTTP
	addr string
	logs *lockedWriter
	wg   sync.WaitGroup
	sock net.Listener
	// heads counts the request heads the origin has read.
	heads atomic.Int64
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessParking(t, DefaultParkAfter, 5*time.Second)
}

// newHarnessParking is newHarness with the Env's ParkAfter and the
// listener's front and request timeouts set.
func newHarnessParking(t testing.TB, parkAfter, idle time.Duration) *harness {
	t.Helper()
	origin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{logs: &lockedWriter{w: &bytes.Buffer{}}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.heads.Add(1)
		io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "path %s", r.URL.Path)
	})}
	go srv.Serve(origin)
	t.Cleanup(func() { srv.Close() })

	h.env = NewEnv(exchange.NewEnv(slog.New(slog.NewTextHandler(h.logs, nil))))
	h.env.ParkAfter = parkAfter
	h.ln = listener.NewHTTP("127.0.0.1:0", &listener.Settings{FrontTimeout: idle, BackTimeout: 5 * time.Second,
		ConnectTimeout: time.Second, RequestTimeout: idle, Proto: "http"})
	c := backend.NewCluster(&backend.Settings{Cluster: order.Cluster{ID: "c"}}, nil)
	c.Add(backend.NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: origin.Addr().String()}, 4))
	tbl, err := router.New[*listener.Route]().Add(router.Rule[*listener.Route]{Hostname: "*", Target: &listener.Route{Cluster: c}})
	if err != nil {
		t.Fatal(err)
	}
	h.ln.SetRoutes(tbl)
	h.sock, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = h.sock.Addr().String()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			conn, err := h.sock.Accept()
			if err != nil {
				return
			}
			h.wg.Add(1)
			go Serve(h.env, h.ln, conn, h.wg.Done)
		}
	}()
	t.Cleanup(func() {
		h.sock.Close()
		h.ln.Drain()
		h.ln.CloseAll()
		h.wg.Wait()
		h.env.Close()
		c.Close()
	})
	return h
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.w)
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func get(t *testing.T, c net.Conn, r *bufio.Reader, path string) *http.Response {
	t.Helper()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestPanicIsContained: a panic while serving one connection is recovered,
// counted and logged with its request id; another connection is untouched.
func TestPanicIsContained(t *testing.T) {
	h := newHarness(t)
	h.env.X.TestHook = func(x *exchange.Exchange) {
		if string(x.Req.Path) == "/boom" {
			panic("boom")
		}
	}
	good, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	gr := bufio.NewReader(good)
	if resp := get(t, good, gr, "/before"); resp.StatusCode != 200 {
		t.Fatalf("before: %d", resp.StatusCode)
	}

	bad, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	fmt.Fprintf(bad, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
	bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := bad.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("panicking connection: read %d, %v; want it closed", n, err)
	}
	if got := h.env.Panics.Load(); got != 1 {
		t.Fatalf("panics counted: %d", got)
	}
	if resp := get(t, good, gr, "/after"); resp.StatusCode != 200 {
		t.Fatalf("other connection after the panic: %d", resp.StatusCode)
	}
	h.env.X.TestHook = nil
	logs := h.logs.String()
	if !strings.Contains(logs, "panic while serving") || !strings.Contains(logs, "request_id=") ||
		strings.Contains(logs, "request_id=none") {
		t.Fatalf("panic log lacks the request id:\n%s", logs)
	}
}

// TestParkedSessionHoldsNoBuffer: between requests a keep-alive connection
// holds neither its read buffer nor its output buffer.
func TestParkedSessionHoldsNoBuffer(t *testing.T) {
	h := newHarness(t)
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := range 3 {
		if resp := get(t, c, r, fmt.Sprintf("/%d", i)); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, inUse := h.ln.Conns(), h.env.X.BuffersInUse.Load()
		if n == 1 && inUse == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions hold %d buffers while idle", n, inUse)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The next request takes buffers again and gives them back.
	if resp := get(t, c, r, "/again"); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
