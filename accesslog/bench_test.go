package accesslog

import (
	"io"
	"testing"
)

func benchmarkLog(b *testing.B, format Format) {
	l, err := New(Config{Output: io.Discard, Format: format, QueueLines: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	e := fullEntry()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
	b.StopTimer()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	st := l.Stats()
	b.ReportMetric(float64(st.Dropped)/float64(st.Written+st.Dropped), "dropped/op")
}

// BenchmarkLogText measures Log in steady state: format into a pooled
// buffer and queue it; the writer goroutine writes to io.Discard.
func BenchmarkLogText(b *testing.B) { benchmarkLog(b, Text) }

func BenchmarkLogJSON(b *testing.B) { benchmarkLog(b, JSON) }

func BenchmarkLogParallel(b *testing.B) {
	l, err := New(Config{Output: io.Discard, QueueLines: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		e := fullEntry()
		for pb.Next() {
			l.Log(e)
		}
	})
	b.StopTimer()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	st := l.Stats()
	b.ReportMetric(float64(st.Dropped)/float64(st.Written+st.Dropped), "dropped/op")
}

func BenchmarkFormatText(b *testing.B) {
	e := fullEntry()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendText(buf[:0], e)
	}
}

func BenchmarkFormatJSON(b *testing.B) {
	e := fullEntry()
	e.UserAgent = []byte("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 café")
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendJSON(buf[:0], e)
	}
}
