package accesslog

import (
	"encoding/json"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func fullConn() *Conn {
	return &Conn{
		Time:     time.Date(2026, 12, 1, 11, 0, 0, 123456789, time.FixedZone("CET", 3600)),
		ID:       []byte("3f2a9c1b-00000000002b"),
		Client:   netip.MustParseAddrPort("203.0.113.7:51234"),
		Listener: "0.0.0.0:5432",
		Cluster:  "db",
		Backend:  "db-1",
		SNI:      []byte("db.example.com"),
		BytesIn:  1200,
		BytesOut: 40960,
		Connect:  250 * time.Microsecond,
		Total:    1523400 * time.Microsecond,
		End:      EndBackendClose,
	}
}

// TestConnText: the documented example line, and absent values.
func TestConnText(t *testing.T) {
	const want = "2026-12-01T10:00:00.123Z 3f2a9c1b-00000000002b 203.0.113.7:51234 0.0.0.0:5432 db db-1 tcp db.example.com 1200 40960 1523.400 0.250 backend_close\n"
	if got := string(appendConnText(nil, fullConn())); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	const empty = "- - - - - - tcp - 0 0 - - client_close\n"
	if got := string(appendConnText(nil, &Conn{})); got != empty {
		t.Errorf("zero Conn: %q, want %q", got, empty)
	}
}

// TestConnJSON: the JSON line holds the documented keys and values.
func TestConnJSON(t *testing.T) {
	var m map[string]any
	line := appendConnJSON(nil, fullConn())
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	want := map[string]any{"time": "2026-12-01T10:00:00.123Z", "conn_id": "3f2a9c1b-00000000002b",
		"client": "203.0.113.7:51234", "listener": "0.0.0.0:5432", "cluster": "db", "backend": "db-1",
		"protocol": "tcp", "sni": "db.example.com", "bytes_in": 1200.0, "bytes_out": 40960.0,
		"total_ms": 1523.4, "connect_ms": 0.25, "end": "backend_close"}
	if len(m) != len(want) {
		t.Errorf("%d keys, want %d: %s", len(m), len(want), line)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if err := json.Unmarshal(appendConnJSON(nil, &Conn{End: End(200)}), &m); err != nil || m["sni"] != nil || m["end"] != "unknown" {
		t.Errorf("zero Conn: %v %v", m, err)
	}
}

// TestEndNames: every end has a distinct name of its own.
func TestEndNames(t *testing.T) {
	seen := map[string]bool{}
	for e := EndClientClose; e <= EndSetup; e++ {
		n := e.String()
		if n == "" || n == "unknown" || seen[n] || strings.ContainsAny(n, " \"") {
			t.Errorf("end %d is named %q", e, n)
		}
		seen[n] = true
	}
}

// FuzzConnText: whatever server name a client sends, the Text line is one
// line of 13 printable fields and the JSON line valid JSON.
func FuzzConnText(f *testing.F) {
	for _, s := range []string{"", "-", "a b", "x\ny", "\"q\"", "é", "\xff\xfe", strings.Repeat("a", 300)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, sni []byte) {
		c := fullConn()
		c.SNI = sni
		line := string(appendConnText(nil, c))
		if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
			t.Fatalf("not one line: %q", line)
		}
		fs := strings.Split(strings.TrimSuffix(line, "\n"), " ")
		if len(fs) != 13 || fs[7] == "" {
			t.Fatalf("%d fields: %q", len(fs), line)
		}
		for _, r := range line[:len(line)-1] {
			if r < ' ' || r >= 0x7f {
				t.Fatalf("unprintable %q in %q", r, line)
			}
		}
		js := appendConnJSON(nil, c)
		if !json.Valid(js) || !utf8.Valid(js) {
			t.Fatalf("invalid JSON %q", js)
		}
	})
}

// TestLogAllocatesNothing: in steady state Log and LogConn format into
// pooled buffers and the writer reuses its batch: no allocation anywhere
// in the process per line. (A burst of lines faster than the writer's
// 10 ms linger takes a buffer per line queued; the warm-up writes as many
// lines as are measured and waits for them, so that the pool holds them.)
func TestLogAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; run without -race")
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // never read: the kernel drops what overflows
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, cfg := range []Config{
		{Output: io.Discard, Format: Text},
		{Output: io.Discard, Format: JSON},
		{Target: "syslog://" + pc.LocalAddr().String(), Format: Text},
	} {
		cfg.QueueLines = 1 << 14
		l, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e, c := fullEntry(), fullConn()
		for range 1100 {
			l.Log(e)
			l.LogConn(c)
		}
		deadline := time.Now().Add(5 * time.Second)
		for l.Stats().Written < 2200 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := testing.AllocsPerRun(1000, func() { l.LogConn(c) }); n > 0.01 {
			t.Errorf("%+v: LogConn allocates %.3f times per line", cfg, n)
		}
		if n := testing.AllocsPerRun(1000, func() { l.Log(e) }); n > 0.01 {
			t.Errorf("%+v: Log allocates %.3f times per line", cfg, n)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
