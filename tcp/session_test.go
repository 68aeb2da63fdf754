package tcp

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// relayFixture is a tcp listener served by Serve in front of an echo
// origin; it stops everything when the test ends.
type relayFixture struct {
	addr string
	env  *Env
	ln   *Listener
}

func newFixture(tb testing.TB, set *Settings) *relayFixture {
	return newFixtureLog(tb, set, logOut)
}

// newFixtureLog is newFixture logging to logTo, with opts applied to the
// Env before the listener accepts.
func newFixtureLog(tb testing.TB, set *Settings, logTo io.Writer, opts ...func(*Env)) *relayFixture {
	tb.Helper()
	origin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { origin.Close(); front.Close(); wg.Wait() })
	accept := func(ln net.Listener, serve func(net.Conn)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Add(1)
				go func() { defer wg.Done(); serve(c) }()
			}
		}()
	}
	accept(origin, func(c net.Conn) {
		defer c.Close()
		io.Copy(c, c)
	})
	env := NewEnv(slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, o := range opts {
		o(env)
	}
	ln := NewListener(front.Addr().String(), set)
	c := backend.NewCluster(&backend.Settings{Cluster: order.Cluster{ID: "c", Protocol: order.TCP}}, nil)
	c.Add(backend.NewBackend(order.Backend{ClusterID: "c", ID: "b", Address: origin.Addr().String()}, 0))
	ln.SetRoute("", c)
	accept(front, func(cn net.Conn) { Serve(env, ln, cn) })
	return &relayFixture{addr: front.Addr().String(), env: env, ln: ln}
}

func defaultSettings() *Settings {
	return &Settings{FrontTimeout: time.Minute, BackTimeout: time.Minute, ConnectTimeout: time.Second, RequestTimeout: time.Second}
}

// shortConn opens a connection through the relay, echoes 4 bytes, closes.
func shortConn(tb testing.TB, addr string, buf []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil {
		tb.Fatal(err)
	}
}

// TestHardStop: CloseAll ends open relays at once, on both sides.
func TestHardStop(t *testing.T) {
	f := newFixture(t, defaultSettings())
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4)
	c.Write([]byte("ping"))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	f.ln.CloseAll()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(buf); err == nil {
		t.Fatal("relay still open after CloseAll")
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.env.Active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still active", f.env.Active.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkShortConnection measures one short connection through a tcp
// session (accept, pick, dial, relay 4 bytes each way, half-closes,
// close). allocs/op counts the whole process: the benchmark's client and
// origin, the standard library's sockets and the session.
func BenchmarkShortConnection(b *testing.B) {
	f := newFixture(b, defaultSettings())
	buf := make([]byte, 4)
	b.ReportAllocs()
	for b.Loop() {
		shortConn(b, f.addr, buf)
	}
}

var logOut io.Writer = io.Discard

// syncBuf is a log sink safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestExpectProxyLogsWhy: a listener expecting the PROXY protocol closes a
// connection with a bad header and logs the reason at warn level; a
// connection closed before sending anything (a port check) is logged at
// debug level only.
func TestExpectProxyLogsWhy(t *testing.T) {
	var logs syncBuf
	set := defaultSettings()
	set.ExpectProxy = true
	f := newFixtureLog(t, set, &logs)
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 123456 1\r\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 8)); err == nil {
		t.Fatalf("read %d bytes", n)
	}
	c2, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "bad PROXY protocol header") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "v1 port") {
		t.Errorf("no warning naming the bad port:\n%s", out)
	}
	if !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "EOF") {
		t.Errorf("no debug line for the bare connect and close:\n%s", out)
	}
}
