package accesslog

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func fullEntry() *Entry {
	return &Entry{
		Time:        time.Date(2026, 12, 1, 11, 0, 0, 123456789, time.FixedZone("CET", 3600)),
		RequestID:   []byte("3f2a9c1b-00000000002a"),
		Client:      netip.MustParseAddrPort("203.0.113.7:51234"),
		Listener:    "0.0.0.0:8443",
		Cluster:     "shop",
		Backend:     "shop-1",
		Method:      []byte("GET"),
		Host:        []byte("shop.example.com"),
		Path:        []byte("/cart?id=1"),
		Status:      200,
		BytesIn:     512,
		BytesOut:    2048,
		Total:       12345678 * time.Nanosecond,
		BackendTime: 10100 * time.Microsecond,
		Connect:     250 * time.Microsecond,
		TLSVersion:  tls.VersionTLS13,
		SNI:         "shop.example.com",
		UserAgent:   []byte("curl/8.5.0 (x86_64)"),
		TraceID:     []byte("4bf92f3577b34da6a3ce929d0e0e4736"),
		Error:       "reset",
	}
}

func TestTextLine(t *testing.T) {
	line := string(appendText(nil, fullEntry()))
	want := `2026-12-01T10:00:00.123Z 3f2a9c1b-00000000002a 203.0.113.7:51234 0.0.0.0:8443 shop shop-1 "GET shop.example.com /cart?id=1" 200 512 2048 12.345 10.100 0.250 TLS1.3 shop.example.com "curl/8.5.0 (x86_64)" 4bf92f3577b34da6a3ce929d0e0e4736 reset` + "\n"
	if line != want {
		t.Errorf("line\n%q\nwant\n%q", line, want)
	}
	f, err := parseText(line)
	if err != nil {
		t.Fatal(err)
	}
	wantF := textFields{"2026-12-01T10:00:00.123Z", "3f2a9c1b-00000000002a", "203.0.113.7:51234", "0.0.0.0:8443",
		"shop", "shop-1", "GET", "shop.example.com", "/cart?id=1", "200", "512", "2048", "12.345", "10.100",
		"0.250", "TLS1.3", "shop.example.com", "curl/8.5.0 (x86_64)", "4bf92f3577b34da6a3ce929d0e0e4736", "reset"}
	if f != wantF {
		t.Errorf("parsed %+v\nwant %+v", f, wantF)
	}
}

func TestTextAbsent(t *testing.T) {
	line := string(appendText(nil, &Entry{Cluster: "-", TLSVersion: 0x0305}))
	want := `- - - - \x2d - "- - -" - 0 0 - - - 0x0305 - "-" - -` + "\n"
	if line != want {
		t.Errorf("line\n%q\nwant\n%q", line, want)
	}
	f, err := parseText(line)
	if err != nil {
		t.Fatal(err)
	}
	if f.cluster != "-" || f.listener != "" || f.path != "" || f.ua != "" {
		t.Errorf("parsed %+v: want cluster \"-\" and the rest empty", f)
	}
}

// jsonLine is the JSON format's object, decoded strictly.
type jsonLine struct {
	Time       *string  `json:"time"`
	RequestID  *string  `json:"request_id"`
	Client     *string  `json:"client"`
	Listener   *string  `json:"listener"`
	Cluster    *string  `json:"cluster"`
	Backend    *string  `json:"backend"`
	Method     *string  `json:"method"`
	Host       *string  `json:"host"`
	Path       *string  `json:"path"`
	Status     *int     `json:"status"`
	BytesIn    int64    `json:"bytes_in"`
	BytesOut   int64    `json:"bytes_out"`
	TotalMs    *float64 `json:"total_ms"`
	BackendMs  *float64 `json:"backend_ms"`
	ConnectMs  *float64 `json:"connect_ms"`
	TLSVersion *string  `json:"tls_version"`
	SNI        *string  `json:"sni"`
	UserAgent  *string  `json:"user_agent"`
	TraceID    *string  `json:"trace_id"`
	Error      *string  `json:"error"`
}

func decodeJSON(t *testing.T, line []byte) jsonLine {
	t.Helper()
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	var j jsonLine
	if err := d.Decode(&j); err != nil {
		t.Fatalf("decode %q: %v", line, err)
	}
	return j
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func TestJSONLine(t *testing.T) {
	line := appendJSON(nil, fullEntry())
	j := decodeJSON(t, line)
	for _, c := range []struct{ got, want string }{
		{str(j.Time), "2026-12-01T10:00:00.123Z"},
		{str(j.RequestID), "3f2a9c1b-00000000002a"},
		{str(j.Client), "203.0.113.7:51234"},
		{str(j.Listener), "0.0.0.0:8443"},
		{str(j.Cluster), "shop"},
		{str(j.Backend), "shop-1"},
		{str(j.Method), "GET"},
		{str(j.Host), "shop.example.com"},
		{str(j.Path), "/cart?id=1"},
		{str(j.TLSVersion), "TLS1.3"},
		{str(j.SNI), "shop.example.com"},
		{str(j.UserAgent), "curl/8.5.0 (x86_64)"},
		{str(j.TraceID), "4bf92f3577b34da6a3ce929d0e0e4736"},
		{str(j.Error), "reset"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q in %s", c.got, c.want, line)
		}
	}
	if j.Status == nil || *j.Status != 200 || j.BytesIn != 512 || j.BytesOut != 2048 {
		t.Errorf("status/bytes wrong in %s", line)
	}
	if j.TotalMs == nil || *j.TotalMs != 12.345 || j.BackendMs == nil || *j.BackendMs != 10.1 ||
		j.ConnectMs == nil || *j.ConnectMs != 0.25 {
		t.Errorf("durations wrong in %s", line)
	}

	absent := decodeJSON(t, appendJSON(nil, &Entry{}))
	if absent.Time != nil || absent.Client != nil || absent.Path != nil || absent.Status != nil ||
		absent.TotalMs != nil || absent.TLSVersion != nil || absent.UserAgent != nil || absent.TraceID != nil {
		t.Errorf("absent values not null: %s", appendJSON(nil, &Entry{}))
	}
}

// hostile is what a client controls, crafted to break or forge lines.
var hostile = []struct {
	path, host, ua, sni string
}{
	{`/a" 200 1 2 3 - - - - "x`, "evil host", `x" "y`, "sni with space"},
	{"/a\n2026-12-01T10:00:00.000Z forged - - - - \"GET h /\" 200 0 0 - - - - - \"-\"", "h\r\nX: y", "ua\x00\x1b[31mred\x7f", "s\nn"},
	{"/\\x41\\", "-", "\xff\xfe invalid utf-8 \xc3", "\u2028\u2029"},
	{"/caf\u00e9/\t", "", "", "-"},
}

// TestHostileText checks that client-chosen bytes cannot break the Text
// format: the line stays one line of printable ASCII with 18 fields, and
// every value reads back exactly.
func TestHostileText(t *testing.T) {
	for _, h := range hostile {
		e := fullEntry()
		e.Path, e.Host, e.UserAgent, e.SNI = []byte(h.path), []byte(h.host), []byte(h.ua), h.sni
		line := appendText(nil, e)
		for i, c := range line[:len(line)-1] {
			if c < 0x20 || c >= 0x7f {
				t.Errorf("byte %d of %q is %#x", i, line, c)
			}
		}
		f, err := parseText(string(line))
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if f.path != h.path || f.host != h.host || f.ua != h.ua || f.sni != h.sni || f.status != "200" || f.tls != "TLS1.3" {
			t.Errorf("%q read back as path %q host %q ua %q sni %q status %q", line, f.path, f.host, f.ua, f.sni, f.status)
		}
	}
}

// TestHostileJSON checks the same for the JSON format; bytes that are not
// UTF-8 read back as U+FFFD.
func TestHostileJSON(t *testing.T) {
	for _, h := range hostile {
		e := fullEntry()
		e.Path, e.Host, e.UserAgent, e.SNI = []byte(h.path), []byte(h.host), []byte(h.ua), h.sni
		line := appendJSON(nil, e)
		if bytes.Contains(line, []byte("\u2028")) || bytes.Contains(line, []byte("\u2029")) {
			t.Errorf("raw line separator in %q", line)
		}
		j := decodeJSON(t, line)
		want := func(s string) string {
			if s == "" {
				return "<null>"
			}
			var b strings.Builder
			for _, r := range s { // each invalid byte ranges as one U+FFFD
				b.WriteRune(r)
			}
			return b.String()
		}
		if str(j.Path) != want(h.path) || str(j.Host) != want(h.host) || str(j.UserAgent) != want(h.ua) || str(j.SNI) != want(h.sni) {
			t.Errorf("%q read back as path %q host %q ua %q sni %q", line, str(j.Path), str(j.Host), str(j.UserAgent), str(j.SNI))
		}
	}
}

func TestLongValuesAreCut(t *testing.T) {
	e := fullEntry()
	e.Path = []byte("/" + strings.Repeat("p", 5000))
	e.UserAgent = bytes.Repeat([]byte{'\n'}, 5000)
	f, err := parseText(string(appendText(nil, e)))
	if err != nil {
		t.Fatal(err)
	}
	if want := string(e.Path[:maxPath]) + "..."; f.path != want {
		t.Errorf("path of %d bytes read back as %d bytes, want %d", len(e.Path), len(f.path), len(want))
	}
	if want := strings.Repeat("\n", maxUA) + "..."; f.ua != want {
		t.Errorf("user agent read back as %d bytes, want %d", len(f.ua), len(want))
	}
	j := decodeJSON(t, appendJSON(nil, e))
	if want := string(e.Path[:maxPath]) + "..."; str(j.Path) != want {
		t.Errorf("JSON path read back as %d bytes, want %d", len(str(j.Path)), len(want))
	}
}

// FuzzFormats checks, for any path and user agent, that both formats give
// one line that reads back to the (cut) values.
func FuzzFormats(f *testing.F) {
	for _, h := range hostile {
		f.Add([]byte(h.path), []byte(h.ua))
	}
	f.Fuzz(func(t *testing.T, path, ua []byte) {
		e := fullEntry()
		e.Path, e.UserAgent = path, ua
		cut := func(b []byte, n int) string {
			if len(b) > n {
				return string(b[:n]) + "..."
			}
			return string(b)
		}
		tf, err := parseText(string(appendText(nil, e)))
		if err != nil {
			t.Fatal(err)
		}
		if tf.path != cut(path, maxPath) || tf.ua != cut(ua, maxUA) || tf.status != "200" {
			t.Errorf("text read back path %q ua %q, want %q %q", tf.path, tf.ua, path, ua)
		}
		j := decodeJSON(t, appendJSON(nil, e))
		if j.Status == nil || *j.Status != 200 || (len(path) > 0) != (j.Path != nil) {
			t.Errorf("JSON line lost fields: %+v", j)
		}
	})
}
