package accesslog

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// batchSize is about how many bytes of lines one write carries: the writer
// takes every line queued, up to this, and writes them at once.
const batchSize = 64 << 10

// lingerDelay is how long the writer waits, once a line has come after a
// quiet spell, before it writes: the lines logged meanwhile queue without
// waking it and go out in the same write. Under load this is one write
// system call per few hundred lines instead of one per line; a line is at
// most this late.
const lingerDelay = 10 * time.Millisecond

// retryOpen is how often a file target that could not be opened is tried
// again while lines come.
const retryOpen = time.Second

// writer is the state of the writer goroutine: only it touches the fields
// above mu.
type writer struct {
	l        *Logger
	path     string // the file target's path; "" for other targets
	mode     os.FileMode
	out      io.Writer  // nil while a file target is not open
	file     *os.File   // out, when it is a file of ours
	syslog   *syslogOut // out, for a syslog target
	onError  func(error)
	failing  bool
	lastOpen time.Time
	batch    []byte
	linger   *time.Timer // reused; stopped while idle
	exitErr  error       // read by Close after the goroutine ended

	mu      sync.Mutex
	pending *os.File // opened by Reopen, for the writer to take
	gone    bool     // the writer goroutine has ended
	wake    chan struct{}
}

func newWriter(l *Logger, cfg Config) *writer {
	w := &writer{
		l:       l,
		mode:    cmp.Or(cfg.FileMode, DefaultFileMode),
		onError: cfg.OnError,
		batch:   make([]byte, 0, batchSize),
		wake:    make(chan struct{}, 1),
		linger:  time.NewTimer(time.Hour),
	}
	w.linger.Stop()
	switch {
	case cfg.Output != nil:
		w.out = cfg.Output
	case cfg.Target == "stdout":
		w.out = os.Stdout
	case cfg.Target == "stderr":
		w.out = os.Stderr
	case cfg.syslog != nil:
		w.syslog = newSyslogOut(*cfg.syslog)
		w.out = w.syslog
	default:
		w.path = cfg.Target
		w.open()
	}
	return w
}

func (w *writer) openFile() (*os.File, error) {
	return os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, w.mode)
}

// open opens the file target, reporting a failure.
func (w *writer) open() {
	w.lastOpen = time.Now()
	f, err := w.openFile()
	if err != nil {
		w.fail(fmt.Errorf("accesslog: open target: %w", err))
		return
	}
	w.file, w.out = f, f
}

// fail records err as the current failure and tells it once per failure.
func (w *writer) fail(err error) {
	w.l.err.Store(&err)
	if !w.failing {
		w.failing = true
		if w.onError != nil {
			w.onError(err)
		}
	}
}

func (l *Logger) run() {
	w := l.w
	defer close(l.done)
	defer w.exit()
	for {
		select {
		case <-l.stop: // first, so that lines past Close's time are dropped
			w.drain(l.closeBy)
			return
		default:
		}
		select {
		case bp := <-l.queue:
			w.linger.Reset(lingerDelay)
			select {
			case <-w.linger.C:
			case <-l.stop:
				w.linger.Stop()
				w.writeBatch(bp)
				w.drain(l.closeBy)
				return
			}
			w.writeBatch(bp)
		case <-w.wake:
			w.swap()
		case <-l.stop:
			w.drain(l.closeBy)
			return
		}
	}
}

// writeBatch writes first and every line queued behind it, in writes of
// about batchSize.
func (w *writer) writeBatch(first *[]byte) {
	w.swap()
	b := append(w.batch[:0], *first...)
	w.l.putBuf(first)
	lines := int64(1)
	for more := true; more; {
		select {
		case bp := <-w.l.queue:
			b = append(b, *bp...)
			w.l.putBuf(bp)
			lines++
		default:
			more = false
		}
		if len(b) >= batchSize || !more && len(b) > 0 {
			w.write(b, lines)
			b, lines = b[:0], 0
		}
	}
	if cap(b) <= 2*batchSize {
		w.batch = b[:0]
	}
}

func (w *writer) write(b []byte, lines int64) {
	if w.out == nil && time.Since(w.lastOpen) >= retryOpen {
		w.open()
	}
	if w.out == nil {
		w.l.failed.Add(lines)
		return
	}
	if _, err := w.out.Write(b); err != nil {
		w.fail(fmt.Errorf("accesslog: write target: %w", err)) // told before counted: Stats then shows it was
		w.l.failed.Add(lines)
		return
	}
	w.l.written.Add(lines)
	if w.failing {
		w.failing = false
		w.l.err.Store(nil)
	}
}

// drain writes what is queued until the queue is empty, dropping what
// remains after deadline.
func (w *writer) drain(deadline time.Time) {
	for {
		select {
		case bp := <-w.l.queue:
			if time.Now().After(deadline) {
				w.l.dropped.Add(1)
				w.l.putBuf(bp)
				continue
			}
			w.writeBatch(bp)
		default:
			return
		}
	}
}

// reopen opens the file target anew and hands the file to the writer
// goroutine, which closes the previous one before its next write.
func (w *writer) reopen() error {
	f, err := w.openFile()
	if err != nil {
		return fmt.Errorf("accesslog: reopen target: %w", err)
	}
	w.mu.Lock()
	if w.gone {
		w.mu.Unlock()
		f.Close()
		return ErrClosed
	}
	if w.pending != nil {
		w.pending.Close()
	}
	w.pending = f
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// swap takes the file Reopen opened, if any.
func (w *writer) swap() {
	w.mu.Lock()
	f := w.pending
	w.pending = nil
	w.mu.Unlock()
	if f == nil {
		return
	}
	if w.file != nil {
		if err := w.file.Close(); err != nil {
			w.fail(fmt.Errorf("accesslog: close rotated file: %w", err))
		}
	}
	w.file, w.out = f, f
}

// exit closes the files when the writer goroutine ends.
func (w *writer) exit() {
	w.mu.Lock()
	w.gone = true
	f := w.pending
	w.pending = nil
	w.mu.Unlock()
	if f != nil {
		f.Close() // never written to
	}
	if w.syslog != nil {
		w.syslog.Close()
	}
	if w.file != nil {
		if err := w.file.Close(); err != nil {
			w.exitErr = fmt.Errorf("accesslog: close target: %w", err)
		}
	}
}
