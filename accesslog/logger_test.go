package accesslog

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func entryN(i int) *Entry {
	e := fullEntry()
	e.RequestID = fmt.Appendf(nil, "req-%d", i)
	return e
}

func TestLogWritesEveryLine(t *testing.T) {
	for _, format := range []Format{Text, JSON} {
		var out bytes.Buffer
		l, err := New(Config{Output: &out, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		const n = 100
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range n {
					l.Log(entryN(g*n + i))
					time.Sleep(10 * time.Microsecond) // stay below the queue's bound
				}
			})
		}
		wg.Wait()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(out.String(), "\n")
		lines = lines[:len(lines)-1]
		st := l.Stats()
		if int64(len(lines)) != st.Written || st.Written+st.Dropped != 4*n || st.Failed != 0 {
			t.Errorf("format %d: %d lines, stats %+v; want written+dropped = %d", format, len(lines), st, 4*n)
		}
		seen := map[string]bool{}
		for _, line := range lines {
			var id string
			if format == Text {
				f, err := parseText(line)
				if err != nil {
					t.Fatal(err)
				}
				id = f.id
			} else {
				id = str(decodeJSON(t, []byte(line)).RequestID)
			}
			if seen[id] {
				t.Errorf("line %s written twice", id)
			}
			seen[id] = true
		}
	}
}

// gateWriter blocks every Write until open is closed.
type gateWriter struct {
	entered chan struct{} // closed at the first Write
	once    sync.Once
	open    chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func newGateWriter() *gateWriter {
	return &gateWriter{entered: make(chan struct{}), open: make(chan struct{})}
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(p)
}

// TestBlockedWriterDrops checks that a writer that does not return makes Log
// drop and count lines instead of waiting.
func TestBlockedWriterDrops(t *testing.T) {
	g := newGateWriter()
	l, err := New(Config{Output: g, QueueLines: 4})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(entryN(0))
	<-g.entered // the writer holds line 0, blocked; the queue is empty
	start := time.Now()
	for i := 1; i <= 100; i++ {
		l.Log(entryN(i))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 Log calls took %v with a blocked writer", d)
	}
	if got := l.Stats().Dropped; got != 96 {
		t.Errorf("dropped %d lines, want 96 (100 less a queue of 4)", got)
	}
	close(g.open)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Written != 5 || st.Dropped != 96 {
		t.Errorf("stats %+v, want 5 written, 96 dropped", st)
	}
	if n := strings.Count(g.buf.String(), "\n"); n != 5 {
		t.Errorf("%d lines written, want 5", n)
	}
}

// TestCloseTimesOut checks that Close returns when a write never ends, and
// that the writer ends once the write returns.
func TestCloseTimesOut(t *testing.T) {
	g := newGateWriter()
	l, err := New(Config{Output: g, CloseTimeout: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(entryN(0))
	<-g.entered
	l.Log(entryN(1))
	start := time.Now()
	if err := l.Close(); err == nil {
		t.Error("Close with a blocked write returned nil")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	l.Log(entryN(2)) // after Close: dropped
	close(g.open)
	<-l.done
	if st := l.Stats(); st.Written != 1 || st.Dropped != 2 {
		t.Errorf("stats %+v, want line 0 written, 1 (past the close timeout) and 2 (after Close) dropped", st)
	}
}
