package accesslog

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Format is the form of the lines.
type Format uint8

// The formats; see the package documentation.
const (
	Text Format = iota // the readable default
	JSON               // one JSON object per line
)

// ParseFormat returns the format named "text" (or "") or "json".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "text":
		return Text, nil
	case "json":
		return JSON, nil
	}
	return 0, fmt.Errorf("accesslog: unknown format %q (want text or json)", s)
}

// Config configures a Logger.
type Config struct {
	// Target is where lines go: "stdout", "stderr", "off" (nothing is
	// formatted or written), a syslog URL (see [ParseTarget]: syslog://,
	// syslog+tcp://, syslog+unix://), or the path of a file, opened for
	// appending and created if missing (its folder is not). Required
	// unless Output is set.
	Target string
	// Output, when set, receives the lines instead of Target (a library
	// user's own writer). Only the writer goroutine calls it.
	Output io.Writer
	// Format of the lines; default Text.
	Format Format
	// QueueLines bounds the lines waiting for the writer; default 4096.
	// A line logged while the queue is full is dropped.
	QueueLines int
	// FileMode is the permission a created file gets (before the umask);
	// default 0640, so that a log shipper in the file's group may read it.
	// Existing files keep theirs.
	FileMode os.FileMode
	// CloseTimeout bounds how long Close writes what is queued; default 5s.
	CloseTimeout time.Duration
	// OnError, when set, is told when the target starts failing: once per
	// failure, not per line (the next failure after writes worked again is
	// told again). It is called from New for a file that cannot be opened
	// and from the writer goroutine otherwise, never concurrently.
	OnError func(error)

	syslog *Syslog // parsed from Target by New
}

// Defaults of Config.
const (
	DefaultQueueLines   = 4096
	DefaultFileMode     = 0o640
	DefaultCloseTimeout = 5 * time.Second
)

// ErrClosed is returned by Reopen after Close.
var ErrClosed = errors.New("accesslog: logger closed")

// Stats are a logger's counts since New.
type Stats struct {
	// Written counts lines written to the target.
	Written int64
	// Dropped counts lines dropped because the queue was full (or the
	// logger closed, or Close's time ran out).
	Dropped int64
	// Failed counts lines lost because the target could not be opened or
	// written.
	Failed int64
}

// Logger writes access log lines. Its methods are safe for concurrent use.
// A Logger owns one writer goroutine (none for "off"), which Close stops.
type Logger struct {
	off    bool
	format Format
	queue  chan *[]byte
	pool   sync.Pool // *[]byte
	closed atomic.Bool

	written, dropped, failed atomic.Int64
	err                      atomic.Pointer[error] // the current failure, nil when working

	w *writer

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	timeout   time.Duration
	closeBy   time.Time // set by Close before it closes stop
	closeErr  error
}

// New returns a Logger for cfg and starts its writer goroutine. It fails only
// on an invalid cfg: a file target that cannot be opened is reported (see
// Config.OnError, Err) and retried, and lines are counted as failed until
// it opens.
func New(cfg Config) (*Logger, error) {
	if cfg.Format > JSON {
		return nil, fmt.Errorf("accesslog: unknown format %d", cfg.Format)
	}
	if cfg.Output == nil && cfg.Target == "" {
		return nil, errors.New("accesslog: no target")
	}
	if cfg.QueueLines < 0 || cfg.CloseTimeout < 0 {
		return nil, errors.New("accesslog: negative queue length or close timeout")
	}
	if cfg.Output == nil && IsSyslogTarget(cfg.Target) {
		s, err := ParseTarget(cfg.Target)
		if err != nil {
			return nil, fmt.Errorf("accesslog: target: %w", err)
		}
		cfg.syslog = s
	}
	l := &Logger{format: cfg.Format}
	if cfg.Output == nil && cfg.Target == "off" {
		l.off = true
		return l, nil
	}
	l.queue = make(chan *[]byte, cmp.Or(cfg.QueueLines, DefaultQueueLines))
	l.pool.New = func() any { b := make([]byte, 0, 512); return &b }
	l.timeout = cmp.Or(cfg.CloseTimeout, DefaultCloseTimeout)
	l.stop = make(chan struct{})
	l.done = make(chan struct{})
	l.w = newWriter(l, cfg)
	go l.run()
	return l, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Enabled reports whether lines are written: false for the "off" target, so
// that a caller may skip filling entries.
func (l *Logger) Enabled() bool { return !l.off }

// Log formats e into a line and queues it for the writer; it never blocks.
// When the queue is full or the logger closed the line is dropped and
// counted. Log retains neither e nor anything it points to (see the package
// documentation). A Log racing with Close may be lost without being counted.
func (l *Logger) Log(e *Entry) {
	if l.off {
		return
	}
	if l.closed.Load() || len(l.queue) == cap(l.queue) {
		l.dropped.Add(1)
		return
	}
	bp := l.pool.Get().(*[]byte)
	if l.format == JSON {
		*bp = appendJSON((*bp)[:0], e)
	} else {
		*bp = appendText((*bp)[:0], e)
	}
	l.enqueue(bp)
}

// enqueue hands a formatted line to the writer, or drops and counts it
// when the queue is full.
func (l *Logger) enqueue(bp *[]byte) {
	select {
	case l.queue <- bp:
	default:
		l.dropped.Add(1)
		l.putBuf(bp)
	}
}

// maxKeep bounds the capacity of a buffer returned to the pool.
const maxKeep = 16 << 10

func (l *Logger) putBuf(bp *[]byte) {
	if cap(*bp) <= maxKeep {
		l.pool.Put(bp)
	}
}

// Stats returns the logger's counts.
func (l *Logger) Stats() Stats {
	return Stats{Written: l.written.Load(), Dropped: l.dropped.Load(), Failed: l.failed.Load()}
}

// Err returns the target's last open or write failure, or nil: it is
// cleared when a line is written again.
func (l *Logger) Err() error {
	if p := l.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Reopen opens a file target again, for log rotation: after Reopen returns
// nil, the lines not yet written go to a file newly opened at the target's
// path, and the previous file is closed. When the open fails, Reopen returns
// the error and lines keep going where they went. For other targets it
// does nothing.
func (l *Logger) Reopen() error {
	if l.off || l.w.path == "" {
		return nil
	}
	if l.closed.Load() {
		return ErrClosed
	}
	return l.w.reopen()
}

// Close stops the logger: later lines are dropped, the lines queued are
// written (for at most Config.CloseTimeout, the rest counted as dropped), the
// writer goroutine ends and Close waits for it, and a file target is
// closed. If a write is still blocked when the time is out, Close returns an
// error without waiting; the goroutine ends when that write returns. Later
// calls return the same result.
func (l *Logger) Close() error {
	if l.off {
		return nil
	}
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		l.closeBy = time.Now().Add(l.timeout)
		close(l.stop)
		t := time.NewTimer(l.timeout + time.Second)
		defer t.Stop()
		select {
		case <-l.done:
			l.closeErr = l.w.exitErr
		case <-t.C:
			l.closeErr = fmt.Errorf("accesslog: close: a write to the target is still blocked after %v", l.timeout)
		}
	})
	return l.closeErr
}
