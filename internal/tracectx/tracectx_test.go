package tracectx

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
)

// cases reads testdata/name: lines "ok|bad<TAB>value", # comments.
func cases(t testing.TB, name string) (oks []bool, values []string) {
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		want, v, ok := strings.Cut(line, "\t")
		if !ok || want != "ok" && want != "bad" {
			t.Fatalf("%s: bad line %q", name, line)
		}
		oks, values = append(oks, want == "ok"), append(values, v)
	}
	return oks, values
}

func TestParseParent(t *testing.T) {
	oks, values := cases(t, "traceparent.txt")
	for i, v := range values {
		var p Parent
		if got := ParseParent([]byte(v), &p); got != oks[i] {
			t.Errorf("ParseParent(%q) = %v, want %v", v, got, oks[i])
		}
	}
	var p Parent
	if !ParseParent([]byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &p) {
		t.Fatal("the spec's example is refused")
	}
	if p.Trace != (TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}) ||
		p.Span != (SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}) || p.Flags != 1 || !p.Sampled() {
		t.Errorf("parsed %+v", p)
	}
}

func TestAppendParent(t *testing.T) {
	tid := TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sid := SpanID{1, 2, 3, 4, 5, 6, 7, 0xff}
	got := string(AppendParent(nil, tid, sid, FlagSampled))
	if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-01020304050607ff-01"; got != want {
		t.Errorf("AppendParent = %q, want %q", got, want)
	}
}

func TestState(t *testing.T) {
	oks, values := cases(t, "tracestate.txt")
	var s State
	for i, v := range values {
		s.Reset()
		for _, f := range strings.Split(v, " | ") {
			s.Add([]byte(f))
		}
		if s.Valid() != oks[i] {
			t.Errorf("tracestate %q: valid %v, want %v", v, s.Valid(), oks[i])
		}
	}
}

func TestNoAllocation(t *testing.T) {
	v := []byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	st := []byte("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	buf := make([]byte, 0, 64)
	var p Parent
	n := testing.AllocsPerRun(100, func() {
		ParseParent(v, &p)
		var s State
		s.Add(st)
		_ = s.Valid()
		buf = AppendParent(buf[:0], p.Trace, p.Span, p.Flags)
	})
	if n != 0 {
		t.Errorf("%v allocations per request", n)
	}
}

// FuzzParseParent: no panic; a valid version 00 value is written back
// the same; an accepted value has valid ids.
func FuzzParseParent(f *testing.F) {
	_, values := cases(f, "traceparent.txt")
	for _, v := range values {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		var p Parent
		if !ParseParent(v, &p) {
			return
		}
		if !p.Trace.IsValid() || !p.Span.IsValid() {
			t.Fatalf("accepted %q with a zero id", v)
		}
		if bytes.HasPrefix(v, []byte("00-")) {
			if got := AppendParent(nil, p.Trace, p.Span, p.Flags); !bytes.Equal(got, v) {
				t.Fatalf("%q written back as %q", v, got)
			}
		}
		if bytes.ContainsAny(v[:Len], "ABCDEF ") {
			t.Fatalf("accepted %q", v)
		}
	})
}

// FuzzState: no panic; a valid list has at most MaxMembers members, and
// every member has a key and a value.
func FuzzState(f *testing.F) {
	_, values := cases(f, "tracestate.txt")
	for _, v := range values {
		f.Add([]byte(v))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		var s State
		for _, field := range bytes.Split(v, []byte(" | ")) {
			s.Add(field)
		}
		if !s.Valid() {
			return
		}
		members := 0
		for _, field := range bytes.Split(v, []byte(" | ")) {
			for _, m := range bytes.Split(field, []byte(",")) {
				m = bytes.Trim(m, " \t")
				if len(m) == 0 {
					continue
				}
				members++
				k, val, ok := bytes.Cut(m, []byte("="))
				if !ok || len(k) == 0 || len(val) == 0 {
					t.Fatalf("%q accepted with member %q", v, m)
				}
			}
		}
		if members > MaxMembers {
			t.Fatalf("%q accepted with %d members", v, members)
		}
	})
}

func BenchmarkParseParent(b *testing.B) {
	v := []byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	var p Parent
	b.ReportAllocs()
	for b.Loop() {
		if !ParseParent(v, &p) {
			b.Fatal("refused")
		}
	}
}

func BenchmarkAppendParent(b *testing.B) {
	var p Parent
	ParseParent([]byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &p)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendParent(buf[:0], p.Trace, p.Span, p.Flags)
	}
}

func BenchmarkState(b *testing.B) {
	v := []byte("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	b.ReportAllocs()
	for b.Loop() {
		var s State
		s.Add(v)
		if !s.Valid() {
			b.Fatal("refused")
		}
	}
}
