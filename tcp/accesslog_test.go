package tcp

import (
	"encoding/json"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
)

// connFields are the names of a tcp access log line's fields, in order.
var connFields = []string{"time", "conn_id", "client", "listener", "cluster", "backend", "protocol", "sni",
	"bytes_in", "bytes_out", "total_ms", "connect_ms", "end"}

// parseConnLine splits a Text tcp line as a consumer would: 13 fields
// separated by single spaces.
func parseConnLine(tb testing.TB, line string) map[string]string {
	tb.Helper()
	raw := strings.Split(line, " ")
	if len(raw) != len(connFields) {
		tb.Fatalf("%d fields, want %d: %q", len(raw), len(connFields), line)
	}
	m := map[string]string{}
	for i, v := range raw {
		m[connFields[i]] = v
	}
	return m
}

// logFixture is the relay fixture writing its access log to out; the
// logger is closed (its lines flushed) after the fixture stopped.
func logFixture(t *testing.T, set *Settings, format accesslog.Format) (*relayFixture, func() []string) {
	out := &syncBuf{}
	al, err := accesslog.New(accesslog.Config{Output: out, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close() })
	f := newFixtureLog(t, set, logOut, func(e *Env) { e.AccessLog = al })
	// lines waits until the sessions ended, flushes the log and returns
	// its lines.
	lines := func() []string {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for f.env.Active.Load() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions still active", f.env.Active.Load())
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := al.Close(); err != nil {
			t.Fatal(err)
		}
		s := strings.TrimSuffix(out.String(), "\n")
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	return f, lines
}

// routeTo sends the fixture's new connections to a cluster whose one
// backend is at addr.
func routeTo(f *relayFixture, addr string) {
	c := backend.NewCluster(&backend.Settings{Cluster: order.Cluster{ID: "c2", Protocol: order.TCP}}, nil)
	c.Add(backend.NewBackend(order.Backend{ClusterID: "c2", ID: "b2", Address: addr}, 0))
	f.ln.SetRoute("", c)
}

// serveOrigin serves connections to a new loopback listener with serve
// until the test ends, and returns its address.
func serveOrigin(t *testing.T, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); serve(c) }()
		}
	}()
	return ln.Addr().String()
}

var idRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{12}$`)

// TestAccessLogLine: a client connects through a tcp listener to a real
// echo origin, sends, half-closes, reads the echo and closes; the one line
// written names every field right.
func TestAccessLogLine(t *testing.T) {
	f, lines := logFixture(t, defaultSettings(), accesslog.Text)
	before := time.Now()
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hello" {
		t.Fatalf("echo %q, %v", got, err)
	}
	client := c.LocalAddr().String()
	c.Close()
	ls := lines()
	if len(ls) != 1 {
		t.Fatalf("%d lines, want 1: %q", len(ls), ls)
	}
	m := parseConnLine(t, ls[0])
	want := map[string]string{"client": client, "listener": f.addr, "cluster": "c", "backend": "b",
		"protocol": "tcp", "sni": "-", "bytes_in": "5", "bytes_out": "5", "end": "client_close"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q (line %q)", k, m[k], v, ls[0])
		}
	}
	tm, err := time.Parse("2006-01-02T15:04:05.000Z07:00", m["time"])
	if err != nil || tm.Before(before.Truncate(time.Millisecond)) || tm.After(time.Now()) {
		t.Errorf("time %q (%v) is not the accept time", m["time"], err)
	}
	if !idRE.MatchString(m["conn_id"]) {
		t.Errorf("conn_id %q is not an id", m["conn_id"])
	}
	for _, k := range []string{"total_ms", "connect_ms"} {
		if ms, err := strconv.ParseFloat(m[k], 64); err != nil || ms <= 0 || ms > 5000 {
			t.Errorf("%s = %q, want a positive duration in ms", k, m[k])
		}
	}
}

// TestAccessLogEnds: each way a tcp connection ends is named in its line.
func TestAccessLogEnds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*Settings)
		setup func(t *testing.T, f *relayFixture)
		// client runs the client; it returns when the connection is done.
		client func(t *testing.T, addr string)
		want   map[string]string
	}{{
		name: "backend closes first",
		setup: func(t *testing.T, f *relayFixture) {
			routeTo(f, serveOrigin(t, func(c net.Conn) { c.Write([]byte("bye")) }))
		},
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			io.ReadAll(c) // until the backend's end
			c.Close()
		},
		want: map[string]string{"cluster": "c2", "backend": "b2", "bytes_in": "0", "bytes_out": "3", "end": "backend_close"},
	}, {
		name: "client idle",
		set:  func(s *Settings) { s.FrontTimeout = 100 * time.Millisecond },
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			io.ReadAll(c) // until the proxy closes
			c.Close()
		},
		want: map[string]string{"backend": "b", "end": "client_timeout"},
	}, {
		name: "backend idle",
		set:  func(s *Settings) { s.BackTimeout = 100 * time.Millisecond },
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			io.ReadAll(c)
			c.Close()
		},
		want: map[string]string{"end": "backend_timeout"},
	}, {
		name:  "no route",
		setup: func(t *testing.T, f *relayFixture) { f.ln.SetRoute("", nil) },
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			io.ReadAll(c)
			c.Close()
		},
		want: map[string]string{"cluster": "-", "backend": "-", "connect_ms": "-", "end": "no_route"},
	}, {
		name: "no backend",
		setup: func(t *testing.T, f *relayFixture) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			routeTo(f, addr)
		},
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			io.ReadAll(c)
			c.Close()
		},
		want: map[string]string{"cluster": "c2", "backend": "-", "end": "no_backend"},
	}, {
		name: "bad PROXY header",
		set:  func(s *Settings) { s.ExpectProxy = true },
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
			io.ReadAll(c)
			c.Close()
		},
		want: map[string]string{"cluster": "-", "end": "proxy_header"},
	}, {
		name: "PROXY header names the client",
		set:  func(s *Settings) { s.ExpectProxy = true },
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			c.Write([]byte("PROXY TCP4 192.0.2.7 192.0.2.8 4567 80\r\nping"))
			c.(*net.TCPConn).CloseWrite()
			io.ReadAll(c)
			c.Close()
		},
		want: map[string]string{"client": "192.0.2.7:4567", "bytes_in": "4", "bytes_out": "4", "end": "client_close"},
	}, {
		name: "server name",
		setup: func(t *testing.T, f *relayFixture) {
			c := f.ln.Routes().Default
			f.ln.SetRoute("", nil)
			f.ln.SetRoute("a.test", c)
		},
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			hello := captured(t)
			c.Write(append(hello, "after"...))
			c.(*net.TCPConn).CloseWrite()
			got, _ := io.ReadAll(c)
			c.Close()
			if len(got) != len(hello)+5 {
				t.Errorf("echoed %d bytes, want %d", len(got), len(hello)+5)
			}
		},
		want: map[string]string{"sni": "a.test", "cluster": "c", "end": "client_close"},
	}, {
		name:  "not a ClientHello",
		setup: func(t *testing.T, f *relayFixture) { f.ln.SetRoute("a.test", f.ln.Routes().Default) },
		client: func(t *testing.T, addr string) {
			c := dial(t, addr)
			c.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0, 0, 1, 0}) // a handshake record, not a ClientHello
			io.ReadAll(c)
			c.Close()
		},
		want: map[string]string{"sni": "-", "cluster": "-", "end": "bad_hello"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			set := defaultSettings()
			if tc.set != nil {
				tc.set(set)
			}
			f, lines := logFixture(t, set, accesslog.Text)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			tc.client(t, f.addr)
			ls := lines()
			if len(ls) != 1 {
				t.Fatalf("%d lines, want 1: %q", len(ls), ls)
			}
			m := parseConnLine(t, ls[0])
			for k, v := range tc.want {
				if m[k] != v {
					t.Errorf("%s = %q, want %q (line %q)", k, m[k], v, ls[0])
				}
			}
		})
	}
}

// dial connects to addr with a 5 s deadline.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// TestAccessLogJSON: the JSON line of a relayed connection is one object
// with the documented keys.
func TestAccessLogJSON(t *testing.T) {
	f, lines := logFixture(t, defaultSettings(), accesslog.JSON)
	c := dial(t, f.addr)
	c.Write([]byte("abc"))
	c.(*net.TCPConn).CloseWrite()
	io.ReadAll(c)
	c.Close()
	ls := lines()
	if len(ls) != 1 {
		t.Fatalf("%d lines, want 1: %q", len(ls), ls)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(ls[0]), &m); err != nil {
		t.Fatalf("%q: %v", ls[0], err)
	}
	want := map[string]any{"listener": f.addr, "cluster": "c", "backend": "b", "protocol": "tcp", "sni": nil,
		"bytes_in": 3.0, "bytes_out": 3.0, "end": "client_close", "client": c.LocalAddr().String()}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v (line %s)", k, m[k], v, ls[0])
		}
	}
	if id, _ := m["conn_id"].(string); !idRE.MatchString(id) {
		t.Errorf("conn_id %#v", m["conn_id"])
	}
	if len(m) != 13 {
		t.Errorf("%d keys, want 13: %s", len(m), ls[0])
	}
}

// TestAccessLogHardStop: a connection closed by CloseAll ends "stopped".
func TestAccessLogHardStop(t *testing.T) {
	f, lines := logFixture(t, defaultSettings(), accesslog.Text)
	c := dial(t, f.addr)
	defer c.Close()
	c.Write([]byte("ping"))
	if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	f.ln.CloseAll()
	ls := lines()
	if len(ls) != 1 {
		t.Fatalf("%d lines, want 1: %q", len(ls), ls)
	}
	if m := parseConnLine(t, ls[0]); m["end"] != "stopped" || m["bytes_in"] != "4" {
		t.Errorf("line %q, want end stopped after 4 bytes", ls[0])
	}
}

// TestAccessLogAllocatesNothingMore: a short connection through a
// listener writing an access log allocates no more than one through a
// listener writing none (the line is formatted into a pooled buffer, its
// fields live in the session).
func TestAccessLogAllocatesNothingMore(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; run without -race")
	}
	buf := make([]byte, 4)
	plain := newFixture(t, defaultSettings())
	al, err := accesslog.New(accesslog.Config{Output: io.Discard, QueueLines: 1 << 14})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close() })
	logged := newFixtureLog(t, defaultSettings(), logOut, func(e *Env) { e.AccessLog = al })
	run := func(f *relayFixture) float64 {
		for range 50 { // warm the pools
			shortConn(t, f.addr, buf)
		}
		return testing.AllocsPerRun(300, func() { shortConn(t, f.addr, buf) })
	}
	without, with := run(plain), run(logged)
	if with > without+0.5 {
		t.Errorf("%.2f allocations per connection with an access log, %.2f without", with, without)
	}
	if st := al.Stats(); st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("lines lost: %+v", st)
	}
}
