package state_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

var update = flag.Bool("update", false, "rewrite the expectations of testdata/transcripts/*.txt")

// A transcript (testdata/transcripts/*.txt) is a scenario a reader checks
// by eye: orders in, effects and state out, starting from an empty State
// whose clock is clock. Lines:
//
//	# comment
//	> KIND {JSON}        an order, applied to the current state
//	batch                starts a batch: the '>' lines up to 'end' are
//	end                  applied together with ApplyAll
//	state                shows the current state
//
// The indented lines after '>', 'end' and 'state' are what came out: the
// effects, one a line ("(no effect)" for none) or "error: …"; for
// 'state', one line per object. A JSON string "@certs/x.pem" stands for
// the content of testdata/certs/x.pem. Every refused order or batch is
// also checked to leave the state exactly as it was. With -update the
// expectations are rewritten from what the code does.
func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "transcripts", "*.txt"))
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runTranscript(t, f) })
	}
	for _, k := range order.Kinds() {
		if !seenKinds[k] {
			t.Errorf("no transcript has an order of kind %s", k)
		}
	}
}

// seenKinds are the order kinds the transcripts have.
var seenKinds = map[order.Kind]bool{}

var clock = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

func runTranscript(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := state.New().WithClock(func() time.Time { return clock })
	var out bytes.Buffer
	var batch []order.Order
	inBatch := false
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "  ") {
			continue // an expectation: compared below
		}
		out.WriteString(line + "\n")
		var got []string
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "> "):
			o := parseOrder(t, path, i+1, line[2:])
			if inBatch {
				batch = append(batch, o)
				continue
			}
			got = step(t, &s, func(s state.State) (state.State, []state.Effect, error) { return s.Apply(o) })
		case line == "batch":
			inBatch, batch = true, nil
			continue
		case line == "end":
			orders := batch
			inBatch = false
			got = step(t, &s, func(s state.State) (state.State, []state.Effect, error) { return s.ApplyAll(orders) })
		case line == "state":
			got = summary(t, s)
		default:
			t.Fatalf("%s:%d: cannot read %q", path, i+1, line)
		}
		at := i + 1
		var want []string
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  ") {
			i++
			want = append(want, lines[i][2:])
		}
		if !*update && !slices.Equal(got, want) {
			t.Errorf("%s:%d: %s\n got:\n  %s\nwant:\n  %s", path, at, line,
				strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		for _, g := range got {
			out.WriteString("  " + g + "\n")
		}
	}
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// step applies and describes the outcome; a refusal must leave the state
// as it was.
func step(t *testing.T, s *state.State, apply func(state.State) (state.State, []state.Effect, error)) []string {
	before := dumpOf(t, *s)
	next, fx, err := apply(*s)
	if err != nil {
		if fx != nil || dumpOf(t, next) != before {
			t.Errorf("a refused order changed the state or has effects: %v", err)
		}
		return []string{"error: " + err.Error()}
	}
	*s = next
	if len(fx) == 0 {
		return []string{"(no effect)"}
	}
	var got []string
	for _, e := range fx {
		got = append(got, e.String())
	}
	return got
}

var fileRef = regexp.MustCompile(`"@([^"]+)"`)

func parseOrder(t *testing.T, path string, line int, text string) order.Order {
	kind, body, _ := strings.Cut(text, " ")
	body = fileRef.ReplaceAllStringFunc(body, func(m string) string {
		b, err := os.ReadFile(filepath.Join("testdata", m[2:len(m)-1]))
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		q, _ := json.Marshal(string(b))
		return string(q)
	})
	if body == "" {
		body = "{}"
	}
	var r order.Request
	req := fmt.Sprintf(`{"kind":%q,"order":%s}`, kind, body)
	if err := json.Unmarshal([]byte(req), &r); err != nil {
		t.Fatalf("%s:%d: %v", path, line, err)
	}
	seenKinds[r.Order.Kind()] = true
	return r.Order
}

func dumpOf(t *testing.T, s state.State) string {
	b, err := json.Marshal(s.Dump())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// summary is the state as transcripts show it: one line per object, its
// key first, then its settings as the dump writes them.
func summary(t *testing.T, s state.State) []string {
	d := s.Dump()
	var out []string
	add := func(prefix string, v any, drop ...string) {
		out = append(out, strings.TrimSpace(prefix+" "+fields(t, v, drop...)))
	}
	for _, l := range d.Listeners {
		add("listener "+l.Address, l, "address")
	}
	for _, c := range d.Clusters {
		add("cluster "+c.ID, c, "id")
	}
	for _, b := range d.Backends {
		add("backend "+b.ClusterID+"/"+b.ID, b, "cluster_id", "id")
	}
	for _, f := range d.HTTPFrontends {
		out = append(out, "http frontend "+(state.SetRoute{Frontend: f}).String()[len("set route "):])
	}
	for _, f := range d.HTTPSFrontends {
		out = append(out, "https frontend "+(state.SetRoute{Frontend: f}).String()[len("set route "):])
	}
	for _, f := range d.TCPFrontends {
		host := ""
		if f.Hostname != "" {
			host = " " + f.Hostname
		}
		out = append(out, "tcp frontend "+f.Address+host+" -> "+f.ClusterID)
	}
	for _, c := range s.Certificates("") {
		line := fmt.Sprintf("certificate %s %s… names=%s", c.Address, c.Fingerprint[:12], strings.Join(c.Names, ","))
		if c.Default {
			line += " default"
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		out = []string{"(empty)"}
	}
	return out
}

// fields writes v's JSON fields in their order, as key=value, without the
// ones named in drop.
func fields(t *testing.T, v any, drop ...string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	dec.Token() // {
	var parts []string
	for dec.More() {
		k, _ := dec.Token()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(drop, k.(string)) {
			parts = append(parts, fmt.Sprintf("%s=%s", k, compact(raw)))
		}
	}
	return strings.Join(parts, " ")
}

// compact writes raw JSON without the escapes of <, > and & that the
// encoder adds inside nested values.
func compact(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(buf.String())
}
