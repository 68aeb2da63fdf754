package accesslog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// TestUnwritableFileTarget checks that a file that cannot be opened is
// reported once, does not block Log, and that lines resume after Reopen.
func TestUnwritableFileTarget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	path := filepath.Join(dir, "access.log")
	var reported []error
	var mu sync.Mutex
	l, err := New(Config{Target: path, OnError: func(err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Err() == nil || !errors.Is(l.Err(), os.ErrNotExist) || !strings.Contains(l.Err().Error(), path) {
		t.Errorf("Err() = %v, want the open failure of %s", l.Err(), path)
	}
	start := time.Now()
	for i := range 10 {
		l.Log(entryN(i))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("10 Log calls took %v", d)
	}
	testwait.For(t, "10 failed lines", func() bool { return l.Stats().Failed == 10 })

	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Log(entryN(10))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.Err() != nil {
		t.Errorf("Err() = %v after a successful write", l.Err())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := parseText(string(b)); err != nil || f.id != "req-10" {
		t.Errorf("file holds %q (%v), want the one line req-10", b, err)
	}
	if st := l.Stats(); st.Written != 1 || st.Failed != 10 {
		t.Errorf("stats %+v, want 1 written, 10 failed", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 {
		t.Errorf("OnError called %d times, want once: %v", len(reported), reported)
	}
}

// failWriter fails its writes while fail is set.
type failWriter struct {
	fail atomic.Bool
	n    atomic.Int64 // lines written
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.fail.Load() {
		return 0, errors.New("disk full")
	}
	f.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// TestWriteFailures checks that failing writes are counted, told once per
// failure, and that writing resumes when the target works again.
func TestWriteFailures(t *testing.T) {
	w := &failWriter{}
	w.fail.Store(true)
	var told atomic.Int64
	l, err := New(Config{Output: w, OnError: func(error) { told.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range 5 {
		l.Log(entryN(i))
		testwait.For(t, "a failed line", func() bool { return l.Stats().Failed == int64(i+1) })
	}
	if told.Load() != 1 || l.Err() == nil || !strings.Contains(l.Err().Error(), "disk full") {
		t.Errorf("told %d times, Err() = %v; want once, disk full", told.Load(), l.Err())
	}
	w.fail.Store(false)
	l.Log(entryN(5))
	testwait.For(t, "a written line", func() bool { return l.Stats().Written == 1 })
	if l.Err() != nil {
		t.Errorf("Err() = %v after a successful write", l.Err())
	}
	w.fail.Store(true)
	l.Log(entryN(6))
	testwait.For(t, "a failed line", func() bool { return l.Stats().Failed == 6 })
	if told.Load() != 2 {
		t.Errorf("told %d times after a second failure, want 2", told.Load())
	}
}

// TestDevFull checks a real file whose writes fail (ENOSPC).
func TestDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	l, err := New(Config{Target: "/dev/full", Format: JSON})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(entryN(0))
	testwait.For(t, "a failed line", func() bool { return l.Stats().Failed == 1 })
	if l.Err() == nil {
		t.Error("Err() = nil for writes to /dev/full")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReopenAfterRotation renames the file as logrotate does, reopens, and
// checks that new lines go to the new file and old ones stay in the old.
func TestReopenAfterRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := New(Config{Target: path})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(entryN(1))
	testwait.For(t, "line 1 written", func() bool { return l.Stats().Written == 1 })
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Log(entryN(2))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for file, id := range map[string]string{path + ".1": "req-1", path: "req-2"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := parseText(string(b)); err != nil || f.id != id {
			t.Errorf("%s holds %q (%v), want the one line %s", file, b, err, id)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&^DefaultFileMode != 0 {
		t.Errorf("file mode %v, more than %v", perm, os.FileMode(DefaultFileMode))
	}
	if err := l.Reopen(); !errors.Is(err, ErrClosed) {
		t.Errorf("Reopen after Close = %v, want ErrClosed", err)
	}
}

func TestReopenFailureKeepsTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "access.log")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := New(Config{Target: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Dir(path), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err == nil {
		t.Error("Reopen in a folder that is gone succeeded")
	}
	l.Log(entryN(1))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "moved", "access.log")); err != nil || !strings.Contains(string(b), "req-1") {
		t.Errorf("the line did not go on to the open file: %q %v", b, err)
	}
}

func TestTargets(t *testing.T) {
	off, err := New(Config{Target: "off"})
	if err != nil {
		t.Fatal(err)
	}
	off.Log(fullEntry())
	if off.Enabled() || off.Reopen() != nil || off.Close() != nil || off.Stats() != (Stats{}) {
		t.Error("the off target is not inert")
	}
	for target, want := range map[string]*os.File{"stdout": os.Stdout, "stderr": os.Stderr} {
		l, err := New(Config{Target: target})
		if err != nil {
			t.Fatal(err)
		}
		if l.w.out != want || !l.Enabled() || l.Reopen() != nil {
			t.Errorf("target %s writes to %v", target, l.w.out)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, cfg := range []Config{{}, {Target: "stdout", Format: 7}, {Target: "stdout", QueueLines: -1}} {
		if l, err := New(cfg); err == nil {
			l.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	for s, want := range map[string]Format{"": Text, "text": Text, "json": JSON} {
		if f, err := ParseFormat(s); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("clf"); err == nil {
		t.Error("ParseFormat(clf) succeeded")
	}
}
